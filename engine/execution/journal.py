"""The producer's write-ahead journal: every event a run emits, on disk before the run checkpoints past it.

A checkpoint of epoch t is written only after `sync()` has made the events of epochs <= t durable, so whatever
process dies, a resumed run never starts past a measurement the database can still get. Lines have the store's
journal format (`{"op": "event", ...}`), so the store replays a dead producer's journal like its own.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from gst.engine.spec.events import Event, event_to_dict

HOST = socket.gethostname()


def journal_name(owner_pid: int) -> str:
    """`<owner pid>-<own pid>-<random>.jsonl`: a replayer skips journals whose owner (first field) is alive.

    A worker's journal is owned by its parent, which deletes it once the events are in the database; when the
    parent dies (and its workers with it), the next gst command replays it.
    """
    return f"{owner_pid}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"


class EventJournal:
    """Appends events as JSON lines; `sync()` makes everything appended so far durable (fsync)."""

    def __init__(self, folder: Path, owner_pid: int | None = None) -> None:
        self.path = folder / journal_name(owner_pid or os.getpid())
        self._file: IO[str] | None = None
        self._dirty = False

    def append(self, event: Event) -> None:
        """Write one event line (buffered; durable after `sync`)."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a")
        at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        line = {"op": "event", "event": event_to_dict(event), "host": HOST, "pid": os.getpid(), "at": at}
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()  # in the OS's hands: survives the death of this process
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
        """Remove the file: its events are in the database."""
        self.close()
        self.path.unlink(missing_ok=True)
