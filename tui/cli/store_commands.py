"""Database commands: `gst runs`, `gst show`, `gst query`, `gst export`, `gst sync`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from gst.engine.spec.errors import GstError
from gst.store import queries
from gst.store.schema import schema_tables
from gst.tui.cli.flags import (
    DEFAULT_DB,
    READ_INTERRUPTED,
    DbOption,
    JsonOption,
    err,
    guard,
    handle_sigint_if_asked,
    out,
)
from gst.tui.report.cells import cap, clean, fmt
from gst.tui.report.tables import Col, rows_table

TABLE_ROWS = 5_000  # rows a `gst query` table prints unless --limit says otherwise
STATUSES = ("queued", "running", "completed", "failed", "interrupted", "diverged")


RUN_COLUMNS = [
    Col("run_id", keep=True),
    Col("arm", keep=True),
    Col("seed", drop=3),
    Col("status", keep=True),
    Col("label", drop=5),
    Col("epochs", drop=2),
    Col("final_test_acc", "final %", drop=1),
    Col("best_test_acc", "best %", drop=4),
    Col("host", drop=6),
    Col("attempt", drop=7),
]
EPOCH_TABLE = [
    Col("epoch", keep=True),
    Col("lr", drop=2),
    Col("train_loss", "train loss", drop=4),
    Col("train_acc", "train %"),
    Col("test_loss", "test loss", drop=3),
    Col("test_acc", "test %"),
    Col("pre_prune_test_acc", "pre-prune %"),
    Col("params_remaining", "params left", drop=1),
    Col("seconds", "s", drop=5),
]
EVENT_TABLE = [
    Col("epoch", keep=True),
    Col("layers"),
    Col("acc_before", "before %"),
    Col("acc_after", "after %"),
    Col("drop_pp", "drop pp"),
    Col("instability_rel", "relative", drop=1),
]


def runs(
    db: DbOption = DEFAULT_DB,
    sweep: Annotated[
        str | None, typer.Option("--sweep", help="Only this sweep (id, unique prefix, or latest).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="queued, running, completed, failed, interrupted or diverged.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List runs (all sweeps, or one)."""
    with guard(READ_INTERRUPTED):
        if status is not None and status not in STATUSES:
            raise GstError(f"--status: {status!r} is not a status (allowed: {', '.join(STATUSES)})")
        sweep_id = queries.sweep(db, sweep)["sweep_id"] if sweep else None
        rows = queries.runs(db, sweep_id, status)
        if as_json:
            out.print(queries.to_json(rows), markup=False, highlight=False)
            return
        for row in rows:
            row["epochs"] = f"{fmt(row['epochs_done'] or 0)}/{fmt(row['epochs_total'])}"
        out.print(rows_table(rows, RUN_COLUMNS, title=f"{len(rows)} runs in {db}", width=out.width))


def show(
    run_id: Annotated[str, typer.Argument(help="Run id, or a unique prefix of one.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """A run's spec, per-epoch table and pruning events."""
    with guard(READ_INTERRUPTED):
        run_id = queries.resolve_run_id(db, run_id)
        row = queries.run(db, run_id)
        epochs = queries.epochs(db, [run_id])
        events = queries.prune_events(db, [run_id])
        if as_json:
            out.print(
                queries.to_json([{"run": row, "epochs": epochs, "prune_events": events}]), markup=False, highlight=False
            )
            return
        head = f"{run_id} {row['status']}  {row['label']}  seed {row['seed']}  device {row['device'] or '-'}"
        out.print(Text(cap(head, 200), style="bold"))
        out.print_json(row["spec_json"])
        out.print(rows_table(epochs, EPOCH_TABLE, title="epochs", width=out.width))
        out.print(rows_table(events, EVENT_TABLE, title="pruning events", width=out.width))
        from gst.tui.report.flatness_view import print_flatness

        print_flatness(out, db, run_id)
        if row["error"]:
            out.print(Text.assemble(("error: ", "red"), clean(row["error"])))


def query(
    sql: Annotated[str, typer.Argument(help=f"SQL over the tables {', '.join(schema_tables())}.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            help=f"Rows to print (default: {TABLE_ROWS:,} in a table, all with --csv/--json; 0 = all).",
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop the query after this many seconds.", min=0.001)
    ] = None,
) -> None:
    """Run SQL that may only read the database (no files, extensions or settings); Ctrl-C stops it.

    Rows are read and printed as they come, so memory stays flat however many there are; a table stops at
    --limit rows and says how many more there were.
    """
    from gst.store.sandbox import stream_query
    from gst.tui.report.query_rows import csv_text, json_text, limited

    handle_sigint_if_asked()
    cap = limit if limit is not None else None if as_json or as_csv else TABLE_ROWS
    left = [0]
    with guard("query stopped by Ctrl-C; nothing was changed"):
        with stream_query(db, sql, timeout) as stream:
            rows = limited(stream.chunks(), cap or None, left)
            if as_json or as_csv:
                try:
                    for text in (json_text if as_json else csv_text)(stream.columns, rows):
                        typer.echo(text, nl=False)
                except BrokenPipeError:  # `| head` has read enough: stop the query, say nothing more
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    return
            else:
                cols = [Col(str(i), name) for i, name in enumerate(stream.columns)]
                table_rows = [{str(i): v for i, v in enumerate(r)} for chunk in rows for r in chunk]
                note = "values cut to fit the terminal; --csv or --json prints them whole"
                out.print(rows_table(table_rows, list(cols), width=out.width, cut_note=note))
        if left[0]:
            err.print(f"… {left[0]:,} more rows not shown; --limit 0 shows all", highlight=False)


def export(
    directory: Path,
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files of the same names in DIRECTORY.")] = False,
) -> None:
    """Write every table to DIRECTORY as parquet or csv files (the one command that writes files)."""
    with guard(READ_INTERRUPTED):
        if fmt not in ("parquet", "csv"):
            raise GstError(f"--format: {fmt!r} is not a format (allowed: parquet, csv)")
        for path in queries.export(db, directory, fmt, force=force):
            out.print(str(path), markup=False, highlight=False)


def sync(db: DbOption = DEFAULT_DB) -> None:
    """Apply journals that stopped processes left beside the database (gst does this on every run)."""
    from gst.store.db import check_database, require_database
    from gst.store.writer import catch_up

    with guard("stopped by Ctrl-C; journals not yet applied wait for the next `gst sync`"):
        require_database(db)
        check_database(db, write=True)
        out.print(json.dumps({"replayed_operations": catch_up(db)}), markup=False, highlight=False)
