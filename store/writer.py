"""The single path from engine events into the database: journal on disk first, flush in short bursts.

Registrations are journaled here; events arrive already journaled by the producer that trained them
(`gst.engine.spec.journal`), so each operation crosses a journal once. Everything pending is flushed to
DuckDB in one short transaction (per epoch). If another process keeps the file locked, training goes on,
operations wait in memory and in their journals, and a later flush (or any later writer, for a dead
process's journals) catches up.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict
from pathlib import Path

from gst.engine import faults
from gst.engine.spec.events import BnActivations, EpochEnded, Event, Pruned
from gst.engine.spec.journal import JournalFile, event_op, journal_owner, now, replay_order
from gst.store.apply import Op, apply_ops
from gst.store.db import StoreBusyError, files_dir, writing
from gst.store.replay import replay
from gst.store.rows import RunRow, SweepRow

log = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    """True if a process with this pid runs on this host (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): existing is alive
    return state not in ("Z", "X")


class StoreWriter:
    """Consumes operations and engine events for one database file."""

    def __init__(self, db_path: Path, flush_timeout: float = 2.0, flush_interval: float = 0.5) -> None:
        self.db_path = db_path
        self.flush_timeout = flush_timeout
        self.flush_interval = flush_interval  # seconds: epochs faster than this are flushed together
        self._last_flush = 0.0
        self.journal = JournalFile(files_dir(db_path) / "journal")
        self.pending: list[Op] = []

    def open(self) -> None:
        """Check the database is writable now (migrating it) and replay journals that dead processes left."""
        with writing(self.db_path, timeout=30.0):
            pass
        catch_up(self.db_path)

    def record(self, op: Op) -> None:
        """Journal an operation this process creates (a registration) and queue it."""
        op.setdefault("at", now())
        self.pending.append(op)  # queued first: an interrupt between the two leaves it queued, never journaled only
        self.journal.append(op)

    def record_row(self, row: SweepRow | RunRow) -> None:
        """Journal and queue a registration row (typed: see gst.store.rows)."""
        kind = "sweep" if isinstance(row, SweepRow) else "run"
        self.record({"op": kind, kind: asdict(row)})

    def handle(self, event: Event) -> None:
        """Engine callback: queue the event (its producer journaled it); flush at run boundaries and after epochs
        (at most every flush_interval)."""
        self.queue(event)
        if isinstance(event, Pruned | BnActivations):
            return  # written with the epoch they belong to
        if isinstance(event, EpochEnded) and time.monotonic() - self._last_flush < self.flush_interval:
            return
        self.flush()

    def queue(self, event: Event) -> None:
        """Queue an event for the next flush (its producer journaled it)."""
        self.pending.append(event_op(event))

    def flush(self, timeout: float | None = None) -> bool:
        """Write pending operations in one transaction; False (nothing lost) if the file stayed locked."""
        if not self.pending:
            return True
        try:
            with writing(self.db_path, timeout=self.flush_timeout if timeout is None else timeout) as conn:
                apply_ops(conn, self.pending)
                faults.hit("flush")
        except StoreBusyError:
            log.warning("database busy: %d operations wait for the next flush", len(self.pending))
            return False
        self.pending.clear()
        self._last_flush = time.monotonic()
        return True

    def close(self, timeout: float = 30.0) -> bool:
        """Final flush; the journal is deleted once everything in it is in the database."""
        ok = self.flush(timeout)
        if ok:
            self.journal.delete()
        else:
            self.journal.close()
        return ok

    @property
    def waiting(self) -> int:
        """Operations not yet in the database."""
        return len(self.pending)


def catch_up(db_path: Path, timeout: float = 30.0) -> int:
    """Replay the journals of processes that are gone (the first field of the name is the owner's pid; a
    worker's journal belongs to its parent), then delete them; returns operations replayed.

    Lines or files that cannot be applied are kept in `journal/quarantine/` (see `journal.replay`).
    """
    journal_dir = files_dir(db_path) / "journal"
    if not journal_dir.is_dir():
        return 0
    replayed = 0
    for path in sorted(journal_dir.glob("*.jsonl"), key=replay_order):
        pid = journal_owner(path)
        if pid is not None and (pid == os.getpid() or pid_alive(pid)):
            continue
        replayed += replay(db_path, path, timeout)
    return replayed
