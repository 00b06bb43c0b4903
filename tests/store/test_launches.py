"""Launch records: a launch that failed is a sweep the runs browser lists after a restart, with or without runs."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from gst.engine.execution.jobs import select_jobs
from gst.engine.spec.preset import load_preset
from gst.store.browse import database_fingerprint, sweep_list
from gst.store.launches import last_launch, log_path, record_launch, registered
from gst.store.register import register
from gst.store.rows import LaunchRow
from gst.store.writer import StoreWriter
from tests.tui.fabricate import fabricate


def launch(sweep_id: str, status: str, at: str = "2030-01-01 00:00:00", error: str | None = None) -> LaunchRow:
    return LaunchRow(
        sweep_id=sweep_id, started_at=at, finished_at=at, kind="run", label="fig1",
        command=f"gst run preset fig1 --sweep-id {sweep_id}", status=status, returncode=0 if status == "done" else 1,
        error=error, log_path=None,
    )  # fmt: skip


def test_a_launch_that_failed_before_registering_is_a_failed_sweep(db: Path) -> None:
    record_launch(db, launch("gone", "failed", error="error: CIFAR-10 is not in /nowhere"))  # creates the database
    (row,) = sweep_list(db)
    assert (row["sweep_id"], row["status"], row["preset"], row["runs"]) == ("gone", "failed", "fig1", 0)
    assert row["title"] == "launch failed: error: CIFAR-10 is not in /nowhere"
    assert not registered(db, "gone") and last_launch(db, "gone")["returncode"] == 1  # type: ignore[index]
    assert log_path(db, "gone") == db.with_name("gst.duckdb.d") / "logs" / "gone.log"


def test_a_registered_sweep_whose_launch_failed_is_failed_until_its_runs_say_otherwise(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="done1")  # every run completed
    before = database_fingerprint(db)
    record_launch(db, launch("done1", "failed", at="2030-01-01 00:00:00"))
    assert database_fingerprint(db) != before  # the runs browser notices
    assert [r["status"] for r in sweep_list(db)] == [
        "completed"
    ]  # its runs completed: a late failure does not undo them
    record_launch(db, launch("later", "cancelled"))
    record_launch(db, launch("later", "done", at="2030-01-02 00:00:00"))
    assert [r["sweep_id"] for r in sweep_list(db)] == ["done1"]  # only failures stand in for a missing sweep row


def test_a_sweep_that_registered_and_then_failed_to_start_is_failed(db: Path) -> None:
    sweep = load_preset("smoke")
    writer = StoreWriter(db)
    writer.open()
    register(writer, sweep, "stuck", select_jobs(sweep, "stuck", None, None), "cpu")  # runs queued, none started
    writer.close()
    assert [r["status"] for r in sweep_list(db)] == ["queued"]
    record_launch(db, launch("stuck", "failed", error="error: worker died"))
    assert [(r["sweep_id"], r["status"], r["runs"]) for r in sweep_list(db)] == [("stuck", "failed", 6)]


def test_recording_waits_for_a_read_of_this_process_in_another_mode(db: Path) -> None:
    """The app records a launch while one of its screens reads: DuckDB refuses a second connection of another mode
    to the same file in one process, so the write waits for the read to end, as for another process's lock."""
    record_launch(db, launch("a", "done"))
    reader = duckdb.connect(str(db), read_only=True)
    threading.Timer(0.3, reader.close).start()
    record_launch(db, launch("b", "failed"))
    assert [r["sweep_id"] for r in sweep_list(db)] == ["b"]
