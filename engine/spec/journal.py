"""The write journal: its one line format and the file that appends it (torch-free).

A journal is a file of JSON lines under `<db>.d/journal/`, each one operation:
`{"op": "sweep", "sweep": {…}}` and `{"op": "run", "run": {…}}` (registrations, written by the database
writer), or `{"op": "event", "event": {…}, "host": …, "pid": …, "at": …}` (written by the producer that trains
the run, before it checkpoints past the event). Each operation is journaled once, by whoever creates it, and
reaches the database from memory, or from the journal when its writer died (`gst.store.replay`).

A file is named `<owner pid>-<producer pid>-<random>.jsonl`: the owner is the process that deletes it once its
operations are in the database (a worker's journal is owned by the launching process); a replayer skips the
journals of owners that are alive.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from gst.engine.spec.events import Event, event_to_dict

HOST = socket.gethostname()
Op = dict[str, Any]


def now() -> str:
    """UTC timestamp, as the database stores it."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")


def event_op(event: Event, owner_pid: int | None = None) -> Op:
    """The journal operation that carries one engine event; `pid` is the process that owns the run (the one
    a user stops), the launching process when a worker trains it."""
    return {"op": "event", "event": event_to_dict(event), "host": HOST, "pid": owner_pid or os.getpid(), "at": now()}


def journal_name(owner_pid: int) -> str:
    """`<owner pid>-<own pid>-<random>.jsonl`."""
    return f"{owner_pid}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"


def journal_owner(path: Path) -> int | None:
    """The owner's pid from a journal's name (its first field), None if the name has none."""
    head = path.name.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def replay_order(path: Path) -> tuple[int, int, str]:
    """Sort key for replaying: per owner, its own journal (the registrations) before its producers' (events)."""
    fields = path.name.split("-")
    owner = journal_owner(path) or 0
    producer = int(fields[1]) if len(fields) > 2 and fields[1].isdigit() else owner
    return (owner, 0 if producer == owner else 1, path.name)


class JournalFile:
    """Appends operations as JSON lines; `sync()` makes everything appended so far durable (fsync)."""

    def __init__(self, folder: Path, owner_pid: int | None = None) -> None:
        self.path = folder / journal_name(owner_pid or os.getpid())
        self._file: IO[str] | None = None
        self._dirty = False

    def append(self, op: Op) -> None:
        """Write one operation line (in the OS's hands at once, so it survives this process; durable after sync)."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a")
        self._file.write(json.dumps(op) + "\n")
        self._file.flush()
        self._dirty = True

    def sync(self) -> None:
        """Flush and fsync: the write-ahead barrier before a checkpoint."""
        if self._file is not None and self._dirty:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._dirty = False

    def close(self) -> None:
        """Sync and close the file (it stays on disk until its owner deletes it)."""
        if self._file is not None:
            self.sync()
            self._file.close()
            self._file = None

    def delete(self) -> None:
        """Remove the file: its operations are in the database."""
        self.close()
        self.path.unlink(missing_ok=True)
