"""`gst check`: verify the database's invariants; exit 1 on any violation."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from gst.tui.cli.flags import DEFAULT_DB, DbOption, JsonOption, err, guard, out
from gst.tui.report.tables import rows_table


def check(
    sweep_id: Annotated[str | None, typer.Argument(help="Sweep id or latest (default: the whole database).")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Check every run: contiguous epochs, pruning only on schedule, drop = before - after, statuses that match
    the rows, specs that are their sweep's expansion, no row without its run, no journal left unapplied."""
    from gst.store import queries
    from gst.store.invariants import check_sweep

    with guard():
        if sweep_id is not None:
            sweep_id = queries.sweep(db, sweep_id)["sweep_id"]
        checked, violations = check_sweep(db, sweep_id)
        if as_json:
            out.print_json(json.dumps({"runs_checked": checked, "violations": [asdict(v) for v in violations]}))
        elif violations:
            out.print(rows_table([asdict(v) for v in violations], ["check", "run_id", "detail"], title="violations"))
        scope = f"sweep {sweep_id}" if sweep_id else str(db)
        if violations:
            err.print(f"[red]{len(violations)} violation(s)[/] in {checked} runs of {scope}", highlight=False)
            raise typer.Exit(1)
        if not as_json:
            err.print(f"[green]ok[/]: {checked} runs of {scope} hold every invariant", highlight=False)
