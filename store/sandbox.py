"""A user's SQL, run so that it can read the database and nothing else, and can be stopped.

Users paste SQL from elsewhere and the TUI takes typed SQL, so `gst query` must not read or write
files, fetch extensions or change settings. DuckDB enforces that itself: external access and
extension loading are switched off on a read-only connection and the configuration is locked, so
no statement can switch them back on. This is DuckDB's own sandbox, not a filter of the SQL text.

DuckDB keeps the thread that runs a query busy in C++ and never lets Python's Ctrl-C handler run,
so the query runs in a worker thread while the calling thread waits, ready to `interrupt()` it on
Ctrl-C or when the time limit passes, and the connection is closed only once the query has let go of it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import duckdb

from gst.engine.spec.errors import StoreError
from gst.store.db import DuckConfig, reading

SANDBOX: DuckConfig = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}
READ_ONLY_MESSAGE = "a query may only read the database (no files, extensions, settings or writes)"
_FORBIDDEN_MARKERS = (
    "Permission Error",
    "configuration has been locked",
    "read-only mode",
    "disabled through configuration",
    "disabled by configuration",
)


class QueryTimeout(StoreError):
    """The query ran longer than the time limit it was given."""


@dataclass
class QueryResult:
    """What a query returned: column names and types, and every row (or the error it raised)."""

    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)  # DuckDB's type of each column, as SQL text
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    error: BaseException | None = None


def explain(exc: duckdb.Error) -> str:
    """One line for a failed query: what was refused, or DuckDB's own first line."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if any(marker in first for marker in _FORBIDDEN_MARKERS):
        return f"{READ_ONLY_MESSAGE}: {first}"
    return f"query failed: {first}"


def _execute(conn: duckdb.DuckDBPyConnection, sql: str, outcome: QueryResult, done: threading.Event) -> None:
    try:
        cur = conn.execute(sql)
        if cur.description is not None:
            outcome.columns = [d[0] for d in cur.description]
            outcome.types = [str(d[1]) for d in cur.description]
            outcome.rows = cur.fetchall()
    except BaseException as exc:  # handed to the waiting thread, which decides what it means
        outcome.error = exc
    finally:
        done.set()


def _stop(conn: duckdb.DuckDBPyConnection, done: threading.Event) -> None:
    """Interrupt the query until its thread says it is done (a query not yet started misses the first interrupt).

    Waits on an Event, not `Thread.join`: on Python 3.11 a join cut short by Ctrl-C marks a running thread as
    finished, and closing the connection under a query still running aborts the process.
    """
    while True:
        conn.interrupt()
        try:
            if done.wait(0.05):
                return
        except KeyboardInterrupt:  # another Ctrl-C: the caller raises one anyway, once the connection is free
            continue


def _start(worker: threading.Thread) -> Callable[[], None]:
    """Start the query's thread with Ctrl-C held back; returns what delivers a held Ctrl-C afterwards.

    A KeyboardInterrupt raised inside `Thread.start()` would leave the query running on a connection being
    closed. Python runs signal handlers in the main thread whichever thread the OS picked, so the handler
    itself is swapped for one that only notes the signal (POSIX masks cannot hold it back).
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        worker.start()  # only the main thread sees KeyboardInterrupt; a handler set outside Python stays
        return lambda: None
    held: list[FrameType | None] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(frame))
    try:
        worker.start()
    finally:
        signal.signal(signal.SIGINT, previous)

    def deliver() -> None:
        if held and callable(previous):
            previous(signal.SIGINT, held[0])  # the usual handler: counts it, raises KeyboardInterrupt
        elif held and previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    return deliver


def run_query(db: Path, sql: str, timeout: float | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of `sql` on a sandboxed read-only connection.

    StoreError for a failed or refused query, QueryTimeout past `timeout` seconds; on Ctrl-C the
    query is interrupted and KeyboardInterrupt propagates.
    """
    result = run_typed_query(db, sql, timeout)
    return result.columns, result.rows


def run_typed_query(db: Path, sql: str, timeout: float | None = None) -> QueryResult:
    """`run_query` with each column's DuckDB type as well (what an export needs to keep the types)."""
    if not sql.strip():
        raise StoreError("query: the SQL text is empty (for example: gst query 'SELECT * FROM runs')")
    with reading(db, config=SANDBOX) as conn:
        outcome, done = QueryResult(), threading.Event()
        worker = threading.Thread(target=_execute, args=(conn, sql, outcome, done), name="gst-query", daemon=True)
        deliver = _start(worker)
        try:
            deliver()  # a Ctrl-C held back during the start is raised here, inside the try
            finished = done.wait(timeout)
        except KeyboardInterrupt:
            _stop(conn, done)
            raise
        if not finished:
            _stop(conn, done)
            raise QueryTimeout(f"--timeout: the query was stopped after {timeout:g} s")
    if isinstance(outcome.error, duckdb.Error):
        raise StoreError(explain(outcome.error)) from None
    if outcome.error is not None:
        raise outcome.error
    return outcome
