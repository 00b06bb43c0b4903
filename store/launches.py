"""Launches from the TUI as records: how each ended and where its log is, so a failed one outlives the window.

The child process (`gst run`, `gst resume`) writes the sweep and its runs as any headless run does; what it
cannot write is its own failure to start (no data, a spec error) or its exit code. The app records those
here once the child has exited, in one short write. Logs are files beside the database.
"""

from __future__ import annotations

from pathlib import Path

from gst.store.apply import insert_rows
from gst.store.db import files_dir, writing
from gst.store.rows import LaunchRow
from gst.store.sql import Row, fetch


def logs_dir(db: Path) -> Path:
    """Where launch logs live: `<db>.d/logs/`."""
    return files_dir(db) / "logs"


def log_path(db: Path, sweep_id: str) -> Path:
    """The stderr of every launch of one sweep (a resume appends to its run's log)."""
    return logs_dir(db) / f"{sweep_id}.log"


def record_launch(db: Path, row: LaunchRow, timeout: float = 10.0) -> None:
    """Store how a launch ended (creating the database if the launch failed before it existed)."""
    with writing(db, timeout=timeout) as conn:
        insert_rows(conn, LaunchRow, [row])


def last_launch(db: Path, sweep_id: str) -> Row | None:
    """The newest launch of a sweep, if the app launched it."""
    rows = fetch(db, "SELECT * FROM launches WHERE sweep_id = ? ORDER BY started_at DESC LIMIT 1", [sweep_id])
    return rows[0] if rows else None


def registered(db: Path, sweep_id: str) -> bool:
    """Whether the sweep has a `sweeps` row (a launch that failed before registering has none)."""
    return bool(fetch(db, "SELECT 1 FROM sweeps WHERE sweep_id = ?", [sweep_id]))
