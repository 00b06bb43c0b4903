"""Reading write journals that may be damaged, and keeping aside what cannot be applied.

A journal holds measurements that may exist nowhere else, so nothing in one is ever deleted unread:
lines that do not decode, do not parse, are cut short or name an unknown operation, and operations the
database refuses (a registration that differs from the stored one, events of a run that is not registered),
are moved to `<db>.d/journal/quarantine/` (with a one-line warning giving their count), the good operations
are applied, and runs go on. A journal whose good operations still fail to apply is moved there whole.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from gst.engine.spec.errors import StoreError
from gst.engine.spec.events import event_from_dict
from gst.store.apply import Op, write_ops
from gst.store.db import files_dir, writing
from gst.store.rows import REGISTRATIONS, from_op
from gst.store.screen import screen

log = logging.getLogger(__name__)
QUARANTINE = "quarantine"


@dataclass
class JournalRead:
    """The operations of one journal file that can be applied, and the raw lines that cannot."""

    ops: list[Op] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)  # the raw line of each operation in `ops`
    bad: list[bytes] = field(default_factory=list)


def quarantine_dir(db_path: Path) -> Path:
    """Where unreadable journal lines and unappliable journals are kept."""
    return files_dir(db_path) / "journal" / QUARANTINE


def check_op(op: Any) -> None:
    """ValueError unless `op` is an operation `apply_ops` knows, with the fields it needs."""
    if not isinstance(op, dict):
        raise ValueError("not an object")
    kind = op.get("op")
    if kind in REGISTRATIONS:
        if not isinstance(op.get(kind), dict):
            raise ValueError(f"{kind} without its row")
        try:
            from_op(kind, op[kind])  # the typed row: an unknown or missing field is named
        except StoreError as exc:
            raise ValueError(str(exc)) from None
    elif kind == "event":
        if not isinstance(op.get("event"), dict) or "at" not in op:
            raise ValueError("event without its record or time")
        try:
            event_from_dict(op["event"])
        except Exception as exc:  # an unknown type or field, whatever event_from_dict makes of it
            raise ValueError(f"bad event: {exc}") from None
    else:
        raise ValueError(f"unknown op {kind!r}")


def read_journal(path: Path) -> JournalRead:
    """Every line of a journal, sorted into applicable operations and raw lines kept aside.

    A last line without its newline was cut short by a killed writer; it is kept aside too.
    """
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    result = JournalRead()
    for line in lines:
        try:
            op = json.loads(line.decode("utf-8"))
            check_op(op)
        except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
            if line.strip():
                result.bad.append(line)
            continue
        result.ops.append(op)
        result.lines.append(line)
    return result


def quarantine(db_path: Path, path: Path, lines: list[bytes] | None = None) -> Path:
    """Keep `lines` of journal `path` (all of it when None) in the quarantine folder; returns the file written."""
    folder = quarantine_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    if lines is None:
        os.replace(path, target)
    else:
        target.write_bytes(b"".join(line + b"\n" for line in lines))
    return target


def replay(db_path: Path, path: Path, timeout: float) -> int:
    """Apply a dead writer's journal, keep aside what cannot be applied, delete the file; returns ops applied.

    Kept aside: lines that cannot be read, and operations the database refuses (`gst.store.screen`): a
    registration that differs from the stored one, or events of a run that is not registered.
    """
    read = read_journal(path)
    try:
        with writing(db_path, timeout=timeout) as conn:
            screened = screen(conn, read.ops)
            write_ops(conn, screened.keep)
    except (duckdb.Error, KeyError, TypeError, ValueError, StoreError) as exc:
        kept = quarantine(db_path, path)
        log.warning(
            "journal %s: %d operation(s) could not be applied (%s); file kept in %s",
            path.name,
            len(read.ops),
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            kept,
        )
        return 0
    refused = [read.lines[i] for i, _ in screened.refused]
    if read.bad or refused:
        kept = quarantine(db_path, path, read.bad + refused)
        what = [f"{len(read.bad)} unreadable line(s)"] if read.bad else []
        what += [f"{len(refused)} refused line(s) ({screened.refused[0][1]})"] if refused else []
        log.warning("journal %s: %s kept in %s; the rest was applied", path.name, " and ".join(what), kept)
    path.unlink()
    return len(screened.keep)
