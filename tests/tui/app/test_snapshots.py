"""Snapshots of every screen at 80x24 and 160x48 with frozen data (regenerate with `pytest --snapshot-update -m ''`
and review the SVGs). The 80x24 home and dashboard run in the fast suite; the rest are marked slow."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

from gst.store.launches import log_path, record_launch
from gst.store.rows import LaunchRow
from gst.tui.app import estimate, query_history
from gst.tui.app.gst_app import GstApp
from gst.tui.app.launcher import Launch
from gst.tui.app.screens import query as query_screen
from gst.tui.app.screens.charts import ChartsScreen
from gst.tui.app.screens.dashboard import DashboardScreen
from gst.tui.app.screens.log import LogScreen
from gst.tui.app.screens.run_detail import RunDetailScreen
from gst.tui.app.screens.summary import SummaryScreen
from tests.tui.fabricate import fabricate

FROZEN = ("base.epochs=24", "base.lr_milestones=[]", "base.prune.end_epoch=[12, 12, 12, 18]")
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
FAST = {("presets", "80x24"), ("dashboard", "80x24")}


@pytest.fixture(scope="module")
def frozen_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fig2 (4 arms x 2 seeds, 24 epochs) and smoke, written once for every snapshot."""
    db = tmp_path_factory.mktemp("snap") / "gst.duckdb"
    fabricate(db, "fig2", seeds=2, overrides=FROZEN, sweep_id="frozen")
    return db


def tables_sized(pilot: Pilot[None]) -> bool:
    """Every table on screen has measured its rows: DataTable sizes columns on its next idle, so a busy machine
    could otherwise snapshot rows already added in columns still as wide as their headers."""
    return all(not (t._require_update_dimensions or t._new_rows) for t in pilot.app.screen.query(DataTable))


async def settle(pilot: Pilot[None], ready: Callable[[], bool]) -> None:
    """Wait until the screen shows its data and its tables are sized, then one more frame."""
    for _ in range(600):  # up to 30 s on a busy machine
        if ready() and tables_sized(pilot):
            break
        await pilot.pause(0.05)
    await pilot.pause()


def rows(selector: str) -> Callable[[Pilot[None]], bool]:
    return lambda pilot: pilot.app.screen.query_one(selector, DataTable).row_count > 0


def drawn(pilot: Pilot[None]) -> bool:
    return any(getattr(w, "drawn", None) is not None for w in pilot.app.screen.query("*"))


async def push(pilot: Pilot[None], screen: Any, ready: Callable[[Pilot[None]], bool]) -> None:
    await pilot.app.push_screen(screen)
    await settle(pilot, lambda: ready(pilot))


async def keys(pilot: Pilot[None], *pressed: str) -> None:
    await pilot.press(*pressed)
    await pilot.pause(0.2)


async def with_log(pilot: Pilot[None]) -> None:
    launch = Launch(sweep_id="gone", label="fig1", args=["run", "preset", "fig1", "--sweep-id", "gone"], state="failed")
    launch.log += ["gst: loading CIFAR-10", "gst: no CIFAR-10 in /nowhere (pass --data-dir)"]
    launch.returncode = 1
    pilot.app.launcher.launches.append(launch)  # type: ignore[attr-defined]
    await push(pilot, LogScreen("gone"), lambda p: True)


async def with_query(pilot: Pilot[None]) -> None:
    fresh_history(pilot)
    await keys(pilot, "e")
    await keys(pilot, "ctrl+r")
    await settle(pilot, lambda: pilot.app.screen.query_one("#sql-result", DataTable).row_count > 0)
    pilot.app.screen.query_one("#sql-result").focus()  # the editor's blinking cursor is drawn or not


def fresh_history(pilot: Pilot[None], lines: str = "") -> None:
    """The SQL editor starts from the newest query of the history: each query state starts from its own."""
    path = query_history.history_path(pilot.app.db)  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lines)


async def with_sql(pilot: Pilot[None], sql: str, *pressed: str) -> None:
    fresh_history(pilot)
    await keys(pilot, "e")
    pilot.app.screen.query_one("#sql", TextArea).text = sql
    await keys(pilot, "ctrl+r")
    await settle(pilot, lambda: "running" not in str(pilot.app.screen.query_one("#sql-status", Static).content))
    pilot.app.screen.query_one("#sql-result").focus()  # the editor's blinking cursor is drawn or not
    await keys(pilot, *pressed)


async def with_history(pilot: Pilot[None]) -> None:
    entries = [
        {"sql": "SELECT arm, count(*) FROM runs GROUP BY arm", "at": "2030-01-02 09:15:00", "rows": 4, "error": ""},
        {"sql": "SELECT nope FROM runs", "at": "2030-01-02 09:16:00", "rows": None, "error": "query failed: ..."},
        {"sql": "SELECT run_id, lr\nFROM epochs\nWHERE epoch = 1", "at": "2030-01-02 09:17:00", "rows": 8, "error": ""},
    ]
    fresh_history(pilot, "".join(json.dumps(e) + "\n" for e in entries))
    await keys(pilot, "e", "ctrl+o")


async def with_export(pilot: Pilot[None]) -> None:
    await with_sql(pilot, "SELECT run_id, epoch, lr, test_acc FROM epochs ORDER BY run_id, epoch", "ctrl+s")
    pilot.app.screen.query_one(Input).value = "results/lr.parquet"  # the default is the working directory's


async def with_loaded_composer(pilot: Pilot[None]) -> None:
    await keys(pilot, "c")
    await settle(pilot, lambda: type(pilot.app.screen).__name__ == "ComposerScreen")
    pilot.app.screen.query_one("#save-path", Input).value = "smoke"
    await keys(pilot, "ctrl+o")
    pilot.app.screen.query_one("#epochs", Input).value = "15"  # 5 -> 15 epochs, in every loaded arm (typing
    await keys(pilot)  # is test_composer_work's; focus would scroll the form by the machine's timing)
    pilot.app.clear_notifications()  # "loaded smoke" times out after a few seconds: gone on a busy machine
    screen = pilot.app.screen
    wide = screen.size.width >= 120
    await settle(pilot, lambda: [a.epochs for _, a in screen.arms] == [15, 15, 15])  # type: ignore[attr-defined]
    await settle(pilot, lambda: screen.query_one("#composer-form").has_class("wide") == wide)
    await pilot.pause(0.3)


async def with_composer_question(pilot: Pilot[None], *pressed: str) -> None:
    await keys(pilot, "c")
    await settle(pilot, lambda: type(pilot.app.screen).__name__ == "ComposerScreen")
    pilot.app.screen.query_one("#epochs", Input).focus()
    await keys(pilot, *pressed)


async def with_marks(pilot: Pilot[None]) -> None:
    """The dashboard sorted by final accuracy (descending), the two best runs marked."""
    await push(pilot, DashboardScreen("frozen"), rows("#events"))
    await keys(pilot, "7", "7", "ctrl+home", "space", "space")


async def with_cursor(pilot: Pilot[None]) -> None:
    """Marked runs overlaid on the charts, the epoch cursor on a pruning moment (epoch 4)."""
    await with_marks(pilot)
    await keys(pilot, "g")
    await settle(pilot, lambda: drawn(pilot))
    await keys(pilot, "right", "right", "right", "right")


async def with_run_cursor(pilot: Pilot[None]) -> None:
    """A run with the epoch cursor on its first pruning moment, the epoch table following."""
    await push(pilot, RunDetailScreen("frozen-ebn_S_r40-0"), rows("#run-epochs"))
    await keys(pilot, "right", "right", "right", "right")


async def with_run_help(pilot: Pilot[None]) -> None:
    await push(pilot, RunDetailScreen("frozen-ebn_S_r40-0"), rows("#run-epochs"))
    await keys(pilot, "question_mark")


async def with_confirm(pilot: Pilot[None]) -> None:
    pilot.app.screen.query_one("#device", Input).value = "cpu"  # the estimate does not depend on this machine
    await keys(pilot, "l")  # the measurement is the fixed FakeProbe (conftest)
    await settle(pilot, lambda: not pilot.app.screen.missing)  # type: ignore[attr-defined]


SCREENS: dict[str, Callable[[Pilot[None]], Awaitable[None]]] = {
    "presets": lambda p: keys(p),
    "composer": lambda p: keys(p, "c"),
    "dashboard": lambda p: push(p, DashboardScreen("frozen"), rows("#events")),
    "dashboard_marked": with_marks,
    "charts": lambda p: push(p, ChartsScreen("frozen"), drawn),
    "charts_runs": lambda p: push(p, ChartsScreen("frozen"), drawn),
    "charts_cursor": with_cursor,
    "summary": lambda p: push(p, SummaryScreen("frozen"), drawn),
    "runs": lambda p: keys(p, "r"),
    "run_detail": lambda p: push(p, RunDetailScreen("frozen-ebn_S_r40-0"), rows("#run-epochs")),
    "run_detail_cursor": with_run_cursor,
    "help": lambda p: keys(p, "question_mark"),
    "help_run_detail": with_run_help,
    "query": with_query,
    "log": with_log,
    "confirm": with_confirm,
    "query_schema": lambda p: with_sql(p, "SELECT count(*) AS n, avg(lr) AS lr FROM epochs", "ctrl+t", "down", "space"),
    "query_error": lambda p: with_sql(p, "SELECT nope FROM runs"),
    "query_history": with_history,
    "query_export": with_export,
    "composer_loaded": with_loaded_composer,
    "composer_replace": lambda p: with_composer_question(p, "ctrl+a", "ctrl+a"),
    "composer_leave": lambda p: with_composer_question(p, "end", "0", "escape"),
    "jump": lambda p: keys(p, "colon", "s"),
}


PARAMS = [
    pytest.param(screen, size, marks=() if (screen, size) in FAST else pytest.mark.slow, id=f"{screen}-{size}")
    for screen in SCREENS
    for size in SIZES
]


@pytest.mark.parametrize(("screen", "size"), PARAMS)
def test_screen(snap_compare: Any, frozen_db: Path, screen: str, size: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate.os, "cpu_count", lambda: 2)  # the launch estimate runs one run per core at once
    monkeypatch.setenv("GST_DATA_DIR", "/data")  # the confirmation names the data folder (not there)
    monkeypatch.setattr(query_screen, "clock", lambda: 0.0)  # the SQL status says how long a query took

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await SCREENS[screen](pilot)
        if screen == "charts_runs":
            await keys(pilot, "m")
        if screen == "runs":
            # rows shown, and a later poll found nothing new (the first load, before a sweep is highlighted, is
            # followed by a second one)
            await settle(
                pilot,
                lambda: (
                    pilot.app.screen.query_one("#runs", DataTable).row_count > 0 and pilot.app.screen._unchanged >= 1
                ),
            )
            # a busy machine has caught the tables sized but the picture still drawn with header-wide columns
            # ("froze", "comple"): wait until the picture itself shows whole ids
            await settle(pilot, lambda: "frozen-ebn_L_r40-0" in pilot.app.export_screenshot())
        await settle(pilot, lambda: True)  # whatever the screen, its tables sized

    assert snap_compare(GstApp(frozen_db), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", ["runs", "log"])
def test_failed_launch_after_a_restart(snap_compare: Any, tmp_path: Path, screen: str, size: str) -> None:
    """A launch that failed before registering its sweep, seen by a new window: listed as failed, its log saved."""
    db = tmp_path / "gst.duckdb"
    fabricate(db, "smoke", seeds=1, sweep_id="earlier")
    command = "gst run preset fig1 --db gst.duckdb --device cpu --sweep-id 0badf00d"
    error = "error: CIFAR-10 is not in /data and could not be downloaded (RuntimeError)."
    record_launch(db, LaunchRow(sweep_id="0badf00d", started_at="2030-01-02 09:00:00", finished_at="2030-01-02 09:00:09",
                                kind="run", label="fig1", command=command, status="failed", returncode=1, error=error,
                                log_path=None))  # fmt: skip
    log = log_path(db, "0badf00d")
    log.parent.mkdir(parents=True)
    log.write_text(f"# 2030-01-02 09:00:00 UTC: {command}\n{error}\n# 2030-01-02 09:00:09 UTC: exit code 1, failed\n")

    async def run_before(pilot: Pilot[None]) -> None:
        await keys(pilot, "r")
        await settle(pilot, lambda: rows("#sweeps")(pilot))
        if screen == "log":
            await keys(pilot, "o")
            await settle(pilot, lambda: "failed" in str(pilot.app.screen.query_one("#log-header", Static).content))

    app = GstApp(db)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
