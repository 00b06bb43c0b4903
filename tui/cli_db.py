"""Database commands: `gst runs`, `gst show`, `gst query`, `gst export`, `gst sync`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer

from gst.engine.errors import GstError
from gst.store import queries
from gst.store.rows import EPOCH_COLUMNS
from gst.tui.options import DEFAULT_DB, DbOption, JsonOption, guard, out
from gst.tui.render import rows_table

STATUSES = ("queued", "running", "completed", "failed", "interrupted")


def runs(
    db: DbOption = DEFAULT_DB,
    sweep: Annotated[str | None, typer.Option("--sweep", help="Only this sweep id (or latest).")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="queued, running, completed, failed or interrupted.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List runs (all sweeps, or one)."""
    with guard():
        if status is not None and status not in STATUSES:
            raise GstError(f"--status: {status!r} is not a status (allowed: {', '.join(STATUSES)})")
        sweep_id = queries.sweep(db, sweep)["sweep_id"] if sweep else None
        rows = queries.runs(db, sweep_id, status)
        if as_json:
            out.print(queries.to_json(rows), markup=False, highlight=False)
            return
        cols = [
            "run_id",
            "arm",
            "seed",
            "status",
            "label",
            "epochs_done",
            "epochs_total",
            "final_test_acc",
            "best_test_acc",
            "host",
            "attempt",
        ]
        out.print(rows_table(rows, cols, title=f"{len(rows)} runs in {db}"))


def show(run_id: str, db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """A run's spec, per-epoch table and pruning events."""
    with guard():
        row = queries.run(db, run_id)
        epochs = queries.epochs(db, [run_id])
        events = queries.prune_events(db, [run_id])
        if as_json:
            out.print(
                queries.to_json([{"run": row, "epochs": epochs, "prune_events": events}]), markup=False, highlight=False
            )
            return
        out.print(
            f"[bold]{run_id}[/] {row['status']}  {row['label']}  seed {row['seed']}  device {row['device']}",
            highlight=False,
        )
        out.print_json(row["spec_json"])
        cols = list(EPOCH_COLUMNS[1:])
        out.print(rows_table(epochs, cols, title="epochs"))
        out.print(
            rows_table(
                events,
                ["epoch", "layers", "acc_before", "acc_after", "drop_pp", "instability_rel"],
                title="pruning events",
            )
        )
        if row["error"]:
            out.print(f"[red]error:[/] {row['error']}", highlight=False)


def query(
    sql: str,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Run read-only SQL on the database (tables: sweeps, runs, epochs, prune_events, prune_layers)."""
    with guard():
        columns, rows = queries.query(db, sql)
        if as_json:
            out.print(
                queries.to_json([dict(zip(columns, r, strict=True)) for r in rows]), markup=False, highlight=False
            )
        elif as_csv:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(columns)
            writer.writerows(rows)
            typer.echo(buffer.getvalue(), nl=False)
        else:
            out.print(rows_table([dict(zip(columns, r, strict=True)) for r in rows], columns))


def export(
    directory: Path,
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
) -> None:
    """Write every table to DIRECTORY as parquet or csv files."""
    with guard():
        if fmt not in ("parquet", "csv"):
            raise GstError(f"--format: {fmt!r} is not a format (allowed: parquet, csv)")
        for path in queries.export(db, directory, fmt):
            out.print(str(path), highlight=False)


def sync(db: DbOption = DEFAULT_DB) -> None:
    """Apply journals that stopped processes left beside the database (gst does this on every run)."""
    from gst.store.writer import catch_up

    with guard():
        out.print(json.dumps({"replayed_operations": catch_up(db)}))
