"""A launch that fails is a record: its log is kept under <db>.d/logs/, the runs browser lists it after a restart,
and `o` shows the saved log of any sweep."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, RichLog, Static

from gst.store import launches
from gst.tui.app import launcher
from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.screens.log import LogScreen
from gst.tui.app.screens.runs import RunsScreen
from tests.tui.app.test_app import notifications, text_of, wait_until
from tests.tui.fabricate import fabricate

FAILING_CHILD = "import sys; print('gst: loading CIFAR-10', file=sys.stderr); print('error: CIFAR-10 is not in /nowhere', file=sys.stderr); sys.exit(1)"


def log_lines(app: GstApp) -> list[str]:
    return [line.text for line in app.screen.query_one(RichLog).lines]


async def launch_selected_preset(pilot: object, app: GstApp) -> None:
    await pilot.press("l")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, ConfirmScreen)
    await pilot.press("y")  # type: ignore[attr-defined]


async def see_after_restart(db: Path, sweep_id: str, expect: str) -> None:
    """A new window: the runs browser lists the sweep as failed, and `o` shows its saved log."""
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        table = app.screen.query_one("#sweeps", DataTable)
        await wait_until(pilot, lambda: table.row_count > 0, 30)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[:2] == [sweep_id, "failed"] and expect in row[-1]
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen) and app.screen.sweep_id == sweep_id
        await wait_until(pilot, lambda: any(expect in line for line in log_lines(app)), 30)
        header = text_of(app.screen.query_one("#log-header", Static))
        assert "failed, exit code 1" in header and f"log: gst.duckdb.d/logs/{sweep_id}.log" in header


async def test_a_failed_launch_is_kept_and_seen_after_a_restart(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        launcher, "child_command", lambda args: ([sys.executable, "-c", FAILING_CHILD], dict(os.environ))
    )
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await launch_selected_preset(pilot, app)  # fig1, the first preset
        await wait_until(pilot, lambda: app.launcher.launches and app.launcher.launches[0].state == "failed", 30)
        sweep_id = app.launcher.launches[0].sweep_id
        await wait_until(pilot, lambda: any("failed: error: CIFAR-10" in m for m in notifications(app)), 30)
    text = launches.log_path(db, sweep_id).read_text()
    assert "gst: loading CIFAR-10\nerror: CIFAR-10 is not in /nowhere\n" in text and "exit code 1, failed" in text
    record = launches.last_launch(db, sweep_id)
    assert record is not None and (record["status"], record["error"]) == (
        "failed",
        "error: CIFAR-10 is not in /nowhere",
    )
    await see_after_restart(db, sweep_id, "CIFAR-10 is not in /nowhere")


async def test_o_shows_a_saved_log_and_says_when_there_is_none(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="cli1")  # run from a terminal: no log here
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(LogScreen("cli1"))
        await pilot.pause()
        assert "no saved log" in text_of(app.screen.query_one("#log-header", Static))
        path = launches.log_path(db, "cli1")
        path.parent.mkdir(parents=True)
        path.write_text("# an earlier launch\nline one\n")
        await pilot.press("escape")
        await app.push_screen(LogScreen("cli1"))
        await wait_until(pilot, lambda: log_lines(app) == ["# an earlier launch", "line one"], 10)
        with path.open("a") as f:
            f.write("line two\npartial")  # followed as it grows, whole lines only
        await wait_until(pilot, lambda: log_lines(app)[-1:] == ["line two"], 10)


@pytest.mark.slow
async def test_a_real_launch_without_data_fails_and_stays_failed(db: Path, tmp_path: Path) -> None:
    """`gst run preset fig1` with no CIFAR-10 and downloads off fails before it registers its sweep."""
    app = GstApp(db, data_dir=tmp_path / "nodata")
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#seeds").value = "0"  # type: ignore[attr-defined]
        await launch_selected_preset(pilot, app)
        await wait_until(pilot, lambda: app.launcher.launches and app.launcher.launches[0].state == "failed", 120)
        sweep_id = app.launcher.launches[0].sweep_id
        await wait_until(pilot, lambda: any(f"sweep {sweep_id} failed" in m for m in notifications(app)), 30)
    assert not launches.registered(db, sweep_id)
    await see_after_restart(db, sweep_id, "CIFAR-10 is not in")
