"""Turns journal operations (sweep and run registrations, engine events) into SQL, in bulk.

Every operation is idempotent, so replaying a journal after a crash never duplicates rows: a registration that
is already stored is skipped (one that differs is refused, `gst.store.screen`), and the measurement rows of a
re-run epoch replace the earlier ones (keyed upserts). Rows are the typed values of `gst.store.rows`.
A run becomes `completed` only when every epoch of its spec is stored; otherwise its RunFinished leaves it
`interrupted`, with the count of missing epochs, for `gst resume` to finish.
"""

from __future__ import annotations

from typing import Any

import duckdb

from gst.engine.spec.errors import StoreError
from gst.engine.spec.events import EpochEnded, RunFailed, RunFinished, RunStarted, event_from_dict
from gst.store.apply_noise import apply_noise
from gst.store.rows import REGISTRATIONS, ROW_TYPES, Row, columns, from_op, rows_of, values
from gst.store.screen import screen

Op = dict[str, Any]
ROWS_PER_STATEMENT = 500


def insert_rows(
    conn: duckdb.DuckDBPyConnection, row_type: type[Any], rows: list[Row], verb: str = "INSERT OR REPLACE"
) -> None:
    """Multi-row INSERT, last row winning per primary key (within the batch; in the table too with OR REPLACE)."""
    names = columns(row_type)
    unique = list({values(row)[: row_type.KEY]: values(row) for row in rows}.values())
    placeholders = "(" + ", ".join("?" * len(names)) + ")"
    for start in range(0, len(unique), ROWS_PER_STATEMENT):
        chunk = unique[start : start + ROWS_PER_STATEMENT]
        sql = f"{verb} INTO {row_type.TABLE} ({', '.join(names)}) VALUES " + ", ".join([placeholders] * len(chunk))
        conn.execute(sql, [value for row in chunk for value in row])


def apply_ops(conn: duckdb.DuckDBPyConnection, ops: list[Op]) -> None:
    """Write a batch of operations; StoreError naming the first one refused (see `gst.store.screen`), and then
    nothing of the batch is written (the caller's transaction rolls back)."""
    screened = screen(conn, ops)
    if screened.refused:
        raise StoreError(f"journal: {screened.refused[0][1]}")
    write_ops(conn, screened.keep)


def write_ops(conn: duckdb.DuckDBPyConnection, ops: list[Op]) -> None:
    """Write screened operations: registrations first, then measurement rows, then run status changes."""
    rows: dict[type[Any], list[Row]] = {t: [] for t in ROW_TYPES}
    updates: list[tuple[str, list[Any]]] = []
    for op in ops:
        kind = op.get("op")
        if kind != "event":
            row = from_op(str(kind), op.get(str(kind)) or {})
            rows[type(row)].append(row)
            continue
        try:
            event = event_from_dict(op["event"])
        except (KeyError, TypeError) as exc:
            raise StoreError(f"journal: event not understood ({type(exc).__name__}: {exc})") from None
        for row in rows_of(event):
            rows[type(row)].append(row)
        if isinstance(event, EpochEnded):
            updates.append(
                (
                    "UPDATE runs SET epochs_done = greatest(coalesce(epochs_done, 0), ?), params_remaining = ? "
                    "WHERE run_id = ? AND status <> 'completed'",
                    [event.epoch, event.params_remaining, event.run_id],
                )
            )
        elif isinstance(event, RunStarted | RunFinished | RunFailed):
            updates.append(_status_update(event, op))
    for row_type, batch in rows.items():
        if batch:  # registrations are new (screened): a plain INSERT, so that nothing can replace a sweep or run
            insert_rows(
                conn, row_type, batch, verb="INSERT" if row_type in REGISTRATIONS.values() else "INSERT OR REPLACE"
            )
    apply_noise(conn, ops)  # windows that closed: forwards noised per event and layer
    for sql, params in updates:
        conn.execute(sql, params)


STORED = "(SELECT count(*) FROM epochs e WHERE e.run_id = runs.run_id AND e.epoch BETWEEN 1 AND runs.epochs_total)"


def _status_update(event: RunStarted | RunFinished | RunFailed, op: Op) -> tuple[str, list[Any]]:
    at = op["at"]
    if isinstance(event, RunStarted):
        return (
            "UPDATE runs SET status = 'running', started_at = coalesce(started_at, ?), device = ?, params_total = ?, "
            "epochs_total = ?, data_subset_hash = ?, host = ?, pid = ?, resumed_from = ?, error = NULL, "
            "backend = ?, worker = ?, attempt = ?, stacked_with = ?, precision = ?, note = ?, "
            "threads = coalesce(?, threads) WHERE run_id = ? AND status <> 'completed'",
            [
                at, event.device, event.params_total, event.epochs_total, event.data_subset_hash,
                event.host or op.get("host"), op.get("pid"), event.resumed_from_epoch,
                event.backend, event.worker, event.attempt, list(event.stacked_with) or None, event.precision,
                event.note or None, event.threads or None, event.run_id,
            ],
        )  # fmt: skip
    if isinstance(event, RunFinished):
        return (
            f"UPDATE runs SET status = CASE WHEN {STORED} = epochs_total THEN 'completed' ELSE 'interrupted' END, "
            "finished_at = ?, final_test_acc = ?, best_test_acc = ?, final_train_acc = ?, params_remaining = ?, "
            f"error = CASE WHEN {STORED} = epochs_total THEN NULL ELSE 'finished with ' || {STORED} || ' of ' || "
            "epochs_total || ' epochs stored; `gst resume` re-runs the missing ones' END WHERE run_id = ?",
            [
                at, event.final_test_acc, event.best_test_acc, event.final_train_acc, event.params_remaining,
                event.run_id,
            ],
        )  # fmt: skip
    status = "diverged" if event.final else "interrupted" if event.interrupted else "failed"
    return (
        "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ? "
        "AND status NOT IN ('completed', 'diverged')",
        [status, at, event.error.splitlines()[0] if event.error else event.error, event.run_id],
    )
