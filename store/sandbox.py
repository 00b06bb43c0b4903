"""A user's SQL, run so that it can read the database and nothing else, and can be stopped.

Users paste SQL from elsewhere and the TUI takes typed SQL, so `gst query` must not read or write
files, fetch extensions or change settings. DuckDB enforces that itself: external access and
extension loading are switched off on a read-only connection and the configuration is locked, so
no statement can switch them back on. This is DuckDB's own sandbox, not a filter of the SQL text.

DuckDB keeps the thread that runs a query busy in C++ and never lets Python's Ctrl-C handler run,
so the query runs in a worker thread while the calling thread waits, ready to `interrupt()` it on
Ctrl-C or when the time limit passes, and the connection is closed only once the query has let go of it.
Rows come over in chunks as the caller reads them (`stream_query`), so a query of millions of rows never
sits in memory whole.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
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
    """What a query returned: column names and types, and every row."""

    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)  # DuckDB's type of each column, as SQL text
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def explain(exc: duckdb.Error) -> str:
    """One line for a failed query: what was refused, or DuckDB's own first line."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if any(marker in first for marker in _FORBIDDEN_MARKERS):
        return f"{READ_ONLY_MESSAGE}: {first}"
    return f"query failed: {first}"


Chunk = list[tuple[Any, ...]]
CHUNK_ROWS = 2048  # rows per fetch: memory stays flat however many rows a query returns


def _execute(conn: duckdb.DuckDBPyConnection, sql: str, items: queue.Queue[tuple[str, Any]], stop: threading.Event,
             done: threading.Event) -> None:  # fmt: skip
    """The query's thread: column names, then chunks of rows, then the end (or the error), handed over one by one."""

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    try:
        cur = conn.execute(sql)
        described = cur.description or []
        put(("columns", ([d[0] for d in described], [str(d[1]) for d in described])))
        while cur.description is not None and not stop.is_set():
            rows = cur.fetchmany(CHUNK_ROWS)
            if not rows or not put(("rows", rows)):
                break
        put(("end", None))
    except BaseException as exc:  # handed to the waiting thread, which decides what it means
        put(("error", exc))
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


class QueryStream:
    """The rows of a running query, read chunk by chunk in the calling thread (see `stream_query`).

    The query runs in a worker thread that hands over at most two chunks ahead, so memory stays flat; waiting
    for the next chunk is where Ctrl-C and the time limit stop it.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, sql: str, timeout: float | None) -> None:
        self.conn = conn
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2)
        self.stop_flag, self.done = threading.Event(), threading.Event()
        self.worker = threading.Thread(
            target=_execute, args=(conn, sql, self.items, self.stop_flag, self.done), name="gst-query", daemon=True
        )
        self.columns: list[str] = []
        self.types: list[str] = []  # DuckDB's type of each column, as SQL text
        self.ended = False

    def start(self) -> None:
        """Start the query and wait for its column names."""
        deliver = _start(self.worker)
        deliver()  # a Ctrl-C held back during the start is raised here; the caller's `stop` ends the query
        kind, value = self._next()
        if kind == "columns":
            self.columns, self.types = value
        else:
            self._settle(kind, value)

    def chunks(self) -> Iterator[Chunk]:
        """Chunks of rows until the query has no more."""
        while not self.ended:
            kind, value = self._next()
            if kind == "rows":
                yield value
            else:
                self._settle(kind, value)

    def _next(self) -> tuple[str, Any]:
        while True:
            wait = 0.1 if self.deadline is None else min(0.1, self.deadline - time.monotonic())
            if wait <= 0:
                self.stop()
                raise QueryTimeout(f"--timeout: the query was stopped after {self.timeout:g} s")
            try:
                return self.items.get(timeout=wait)
            except queue.Empty:
                continue

    def _settle(self, kind: str, value: Any) -> None:
        self.ended = True
        if kind == "error":
            if isinstance(value, duckdb.Error):
                raise StoreError(explain(value)) from None
            raise value

    def stop(self) -> None:
        """End the query (interrupting it if it still runs) and wait until its thread has let go of the connection."""
        self.ended = True
        self.stop_flag.set()
        if self.worker.ident is not None:
            _stop(self.conn, self.done)


@contextlib.contextmanager
def stream_query(db: Path, sql: str, timeout: float | None = None) -> Iterator[QueryStream]:
    """A started QueryStream of `sql` on a sandboxed read-only connection, stopped when the block ends.

    StoreError for a failed or refused query, QueryTimeout past `timeout` seconds (counted from the start, while
    rows are read too); on Ctrl-C the query is interrupted and KeyboardInterrupt propagates.
    """
    if not sql.strip():
        raise StoreError("query: the SQL text is empty (for example: gst query 'SELECT * FROM runs')")
    with reading(db, config=SANDBOX) as conn:
        stream = QueryStream(conn, sql, timeout)
        try:
            stream.start()
            yield stream
        finally:
            stream.stop()


def run_query(
    db: Path, sql: str, timeout: float | None = None, limit: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of `sql` on a sandboxed read-only connection: the first `limit` rows (None: all).

    StoreError for a failed or refused query, QueryTimeout past `timeout` seconds; on Ctrl-C the
    query is interrupted and KeyboardInterrupt propagates.
    """
    rows: list[tuple[Any, ...]] = []
    with stream_query(db, sql, timeout) as stream:
        for chunk in stream.chunks():
            rows += chunk if limit is None else chunk[: limit - len(rows)]
            if limit is not None and len(rows) >= limit:
                break
        return stream.columns, rows


def run_typed_query(db: Path, sql: str, timeout: float | None = None) -> QueryResult:
    """Every row of `sql` with each column's DuckDB type (what an export needs to keep the types)."""
    with stream_query(db, sql, timeout) as stream:
        rows = [row for chunk in stream.chunks() for row in chunk]
        return QueryResult(columns=stream.columns, types=stream.types, rows=rows)
