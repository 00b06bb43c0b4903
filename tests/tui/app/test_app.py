"""The Textual app driven through real key presses and clicks with the Pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Static

from gst.engine.spec.preset import parse_preset
from gst.store import queries
from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.composer import ComposerScreen
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.screens.dashboard import DashboardScreen
from gst.tui.app.screens.help import HelpScreen
from gst.tui.app.screens.run_detail import RunDetailScreen
from gst.tui.app.screens.runs import RunsScreen
from gst.tui.app.screens.summary import SummaryScreen
from gst.tui.app.widgets.run_table import RunTable
from tests.tui.fabricate import fabricate


def text_of(widget: Static) -> str:
    console = Console(record=True, width=200)
    console.print(widget.content)
    return console.export_text()


def notifications(app: GstApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_presets_screen_previews_plan_and_rejects_bad_seeds(db: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert "42.09%" in text_of(app.screen.query_one("#preset-info", Static))  # fig1 is first
        await pilot.press("end")
        await pilot.pause()
        info = text_of(app.screen.query_one("#preset-info", Static))
        assert "Smoke test" in info and "3 arms x 2 seeds = 6 runs" in info
        await pilot.click("#seeds")
        await pilot.press("x", "y")
        await pilot.click("#launch")
        await pilot.pause()
        assert any("--seeds" in m for m in notifications(app))
        assert not isinstance(app.screen, DashboardScreen)


async def type_into(pilot: object, selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector)  # type: ignore[attr-defined]
    widget.scroll_visible(animate=False)
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.click(selector)  # type: ignore[attr-defined]
    await pilot.press("end", *["backspace"] * 20, *list(text))  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_composer_validates_beside_the_field_and_plans_live(db: Path, tmp_path: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen)
        await type_into(pilot, "#fraction", "1.5")
        await pilot.pause()
        assert "fraction[0]: 1.5 is outside [0, 1)" in str(app.screen.query_one("#err-fraction").content)  # type: ignore[attr-defined]
        assert "✗" in text_of(app.screen.query_one("#composer-status", Static))
        await type_into(pilot, "#fraction", "0.5")
        await pilot.pause()
        assert str(app.screen.query_one("#err-fraction").content) == ""  # type: ignore[attr-defined]
        plan_text = text_of(app.screen.query_one("#composer-plan", Static))
        assert "589,824 of 1,250,858 parameters" in plan_text and "196608" in plan_text and "2, 3, 4" in plan_text
        await type_into(pilot, "#end_epoch", "9")
        await pilot.pause()
        assert "end_epoch[0]: 9 is not an epoch index of a 5-epoch run" in str(
            app.screen.query_one("#err-end_epoch").content
        )  # type: ignore[attr-defined]
        await type_into(pilot, "#end_epoch", "3")
        target = tmp_path / "composed.toml"
        app.screen.query_one("#save-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause()
        spec, seeds = app.screen.spec()  # type: ignore[attr-defined]
        loaded = parse_preset(target.read_text(), name="composed")
        assert loaded.arms[0].spec == spec and loaded.seeds == seeds


async def wait_until(pilot: object, predicate: object, timeout: float = 90.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():  # type: ignore[operator]
            return
        await pilot.pause(0.3)  # type: ignore[attr-defined]
    raise AssertionError("timed out")


@pytest.mark.slow
async def test_launching_smoke_fills_the_database_and_moves_the_sparklines(db: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("end")
        await pilot.click("#seeds")
        await pilot.press("0")
        await pilot.click("#arms")
        await pilot.press(*list("prune_L"))
        await pilot.click("#launch")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        rows = lambda: app.screen.query_one(RunTable).runs  # noqa: E731
        await wait_until(pilot, lambda: rows() and len(rows()[0].test) >= 2)
        first = len(rows()[0].test)
        await wait_until(pilot, lambda: len(rows()[0].test) > first)  # the curve grows while the run goes on
        await wait_until(pilot, lambda: rows()[0].status == "completed")
        assert rows()[0].marks  # pruning epochs are marked on the curve
        assert app.screen.query_one("#events").row_count == 3  # type: ignore[attr-defined]
        (run,) = queries.runs(db)
        assert run["arm"] == "prune_L" and run["status"] == "completed" and run["epochs_done"] == 5


@pytest.mark.slow
async def test_summary_screen_shows_r_and_n(db: Path) -> None:
    sweep_id = fabricate(
        db, "fig1", seeds=3, epochs=40, overrides=("base.lr_milestones=[]", "base.prune.end_epoch=[20, 20, 20, 30]")
    )
    app = GstApp(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.push_screen(SummaryScreen(sweep_id))
        await pilot.pause()
        await wait_until(pilot, lambda: "Pearson" in text_of(app.screen.query_one("#summary", Static)), timeout=20)
        text = text_of(app.screen.query_one("#summary", Static))
        assert "Pearson r = " in text and "n = 12" in text and "paper:" in text
        assert app.screen.query_one("#scatter").series  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_runs_browser_filters_and_help_lists_bindings(db: Path) -> None:
    fabricate(db, "smoke", seeds=2)
    app = GstApp(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, RunsScreen)
        await wait_until(pilot, lambda: app.screen.query_one("#runs").row_count == 6, timeout=20)  # type: ignore[attr-defined]
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*list("prune_L"))
        await pilot.pause()
        assert app.screen.query_one("#runs").row_count == 2  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.press("enter")  # Esc left the focus on the runs table: its first run (arm order)
        await pilot.pause(0.5)
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run_id.endswith("prune_L-0")
        await wait_until(pilot, lambda: app.screen.query_one("#run-epochs").row_count == 5, timeout=10)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_missing_database_is_a_notification_not_a_traceback(tmp_path: Path) -> None:
    app = GstApp(tmp_path / "none.duckdb")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await wait_until(pilot, lambda: any("no database here" in m for m in notifications(app)), timeout=10)
