"""The SQL screen's query history, kept across sessions beside the database (`<db>.d/query_history.jsonl`).

One JSON line per query run: its text, when, and how many rows it returned or the error it raised. The file
is bounded: past `2 * KEEP` lines it is rewritten with the newest `KEEP`. A line that cannot be read (a cut
write, someone's edit) is skipped, never fatal: history is a convenience, not a record.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from gst.store.db import files_dir

KEEP = 500
NAME = "query_history.jsonl"


@dataclass(frozen=True, slots=True)
class Entry:
    """One query as it was run."""

    sql: str
    at: str  # local time, 'YYYY-MM-DD HH:MM:SS'
    rows: int | None = None
    error: str = ""


def history_path(db: Path) -> Path:
    """Where the history of this database's queries lives."""
    return files_dir(db) / NAME


def load(db: Path) -> list[Entry]:
    """Every readable entry, newest first."""
    path = history_path(db)
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    entries = []
    for line in lines:
        try:
            data = json.loads(line)
            entries.append(
                Entry(
                    sql=str(data["sql"]),
                    at=str(data.get("at", "")),
                    rows=data.get("rows"),
                    error=str(data.get("error", "")),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return entries[::-1]


def append(db: Path, sql: str, rows: int | None = None, error: str = "") -> Entry | None:
    """Record a query that was run; None if the file cannot be written."""
    entry = Entry(sql=sql, at=time.strftime("%Y-%m-%d %H:%M:%S"), rows=rows, error=error)
    path = history_path(db)
    line = json.dumps({"sql": entry.sql, "at": entry.at, "rows": entry.rows, "error": entry.error}) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(line)
        lines = path.read_text(errors="replace").splitlines(keepends=True)
        if len(lines) > 2 * KEEP:
            partial = path.with_name(NAME + ".partial")
            partial.write_text("".join(lines[-KEEP:]))
            partial.replace(path)
    except OSError:
        return None
    return entry
