"""Navigation like k9s, the run table, chart cursors and `?`, driven with the Pilot on fabricated sweeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, Static

from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.charts import ChartsScreen
from gst.tui.app.screens.dashboard import DashboardScreen
from gst.tui.app.screens.help import HelpScreen
from gst.tui.app.screens.run_detail import RunDetailScreen
from gst.tui.app.screens.runs import RunsScreen
from gst.tui.app.screens.summary import SummaryScreen
from gst.tui.app.widgets.accuracy_chart import AccuracyChart
from gst.tui.app.widgets.run_table import RunTable
from tests.tui.app.test_app import wait_until
from tests.tui.fabricate import fabricate


def shown(widget: Static) -> str:
    console = Console(record=True, width=160)
    console.print(widget.content)
    return console.export_text()


async def dashboard_rows(pilot: object, app: GstApp, n: int) -> RunTable:
    await pilot.press("d")  # type: ignore[attr-defined]
    await wait_until(
        pilot, lambda: isinstance(app.screen, DashboardScreen) and len(app.screen.query_one(RunTable).shown) == n, 30
    )
    return app.screen.query_one(RunTable)


@pytest.mark.slow  # 32 screen switches, one of them analysing the sweep (scipy)
async def test_screen_keys_switch_to_one_screen_each_and_esc_goes_back(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await dashboard_rows(pilot, app, 3)
        first = {}
        for _ in range(8):
            for key in "dgsr":
                await pilot.press(key)
                await pilot.pause()
                first.setdefault(key, app.screen)
                assert app.screen is first[key]  # the same instance, state kept
        assert len(app.screen_stack) == 1  # never stacked: one screen per mode
        assert sum(len(stack) for stack in app._screen_stacks.values()) == 4 + 1  # d g s r and the presets
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("escape")  # back through the screens shown before
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ChartsScreen)


async def test_enter_on_a_dashboard_run_row_opens_it_unpruned_too(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await dashboard_rows(pilot, app, 3)
        assert app.focused is table  # the next key (↑ ↓ Enter space) goes to the runs
        assert table.cursor_run == "sm-unpruned-0"  # the preset's order: unpruned first, no pruning events at all
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run_id == "sm-unpruned-0"
        await pilot.press("d")  # its screen key again closes the run
        await pilot.pause()
        assert app.screen is table.screen and len(app.screen_stack) == 1
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run_id == "sm-prune_S-0"
        await pilot.press("escape")
        assert app.screen is table.screen


async def test_run_table_sorts_filters_and_marks_runs_the_charts_overlay(db: Path) -> None:
    fabricate(db, "smoke", seeds=2, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await dashboard_rows(pilot, app, 6)
        assert [r.arm for r in table.shown] == ["unpruned"] * 2 + ["prune_S"] * 2 + ["prune_L"] * 2
        await pilot.press("7")  # the 7th column: final accuracy, ascending
        finals = [r.final for r in table.shown]
        assert finals == sorted(finals) and "final▲" in str(table.ordered_columns[6].label)
        await pilot.press("7")  # again: descending
        assert [r.final for r in table.shown] == sorted(finals, reverse=True)
        await pilot.press("9")  # mean drop: runs without pruning last
        assert [r.instability is None for r in table.shown] == [False] * 4 + [True] * 2
        await pilot.press("slash", *"prune_L")
        await pilot.pause()
        assert {r.arm for r in table.shown} == {"prune_L"} and table.row_count == 2
        await pilot.press("escape")  # closes the filter: every run again, focus back on the table
        await pilot.pause()
        assert table.row_count == 6 and app.focused is table and not app.screen.query_one("#run-filter", Input).display
        await pilot.press("1")  # sort by the mark column; nothing marked yet: the preset's order holds
        table.move_cursor(row=0)
        await pilot.press("space", "space")  # marks a run and moves down, marks the next one
        await pilot.pause()
        assert app.marked == ("sm", frozenset({"sm-unpruned-0", "sm-unpruned-1"}))
        assert [str(table.get_row_at(i)[0]) for i in range(3)] == ["●", "●", " "]
        await pilot.press("g")
        await wait_until(pilot, lambda: app.screen.query_one(AccuracyChart).drawn is not None, 30)
        names = [s.name for s in app.screen.query_one(AccuracyChart).series if not s.band]
        assert names == ["unpruned (n=2)", "prune_S (n=2)", "prune_L (n=2)", "● unpruned/0", "● unpruned/1"]


async def test_chart_cursor_reads_out_test_train_and_the_pruning_moment(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        await wait_until(pilot, lambda: app.screen.query_one(AccuracyChart).drawn is not None, 30)
        readout = app.screen.query_one("#chart-readout", Static)
        assert not readout.display  # nothing until the cursor is used
        await pilot.press("right")  # starts at the first epoch
        await pilot.press("right")  # epoch 2: prune_S and prune_L prune (the plan: epochs 2, 3, 4)
        await pilot.pause()
        assert app.screen.query_one(AccuracyChart).cursor == 2.0 and readout.display
        text = shown(readout)
        assert "epoch 2" in text and "test %" in text and "train %" in text
        prune_l = next(line for line in text.splitlines() if "prune_L" in line)
        assert "→" in prune_l and "▼" in prune_l  # before → after and its drop
        assert "→" not in next(line for line in text.splitlines() if "unpruned" in line)
        chart = app.screen.query_one(AccuracyChart)
        await pilot.click(AccuracyChart, offset=(chart.margin_left + 1, 3))  # a click at the left edge: epoch 1
        await pilot.pause()
        assert chart.cursor == 1.0 and "epoch 1" in shown(readout)

        await app.push_screen(RunDetailScreen("sm-prune_L-0"))
        await wait_until(pilot, lambda: app.screen.query_one("#run-epochs", DataTable).row_count == 5, 30)
        await pilot.press("left")  # from the right end: the last epoch
        await pilot.press("left")  # epoch 4, the last pruning moment
        await pilot.pause()
        text = shown(app.screen.query_one("#run-readout", Static))
        assert "epoch 4" in text and "→" in text
        assert app.screen.query_one("#run-epochs", DataTable).cursor_row == 3  # the epoch table follows


async def test_help_lists_every_key_of_the_screen_shown(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.push_screen(RunDetailScreen("sm-prune_L-0"))
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {(key, does) for key, does, _ in app.screen.rows}
        for row in (("+ =", "Zoom in"), ("-", "Zoom out"), ("[", "Earlier"), ("]", "Later"), ("0", "All epochs"),
                    ("←", "Epoch ←"), ("→", "Epoch →"), ("d", "Dashboard"), (":", "Jump")):  # fmt: skip
            assert row in rows, row
        assert next(iter(app.screen.groups)).startswith("this screen")  # its own keys come first
        await pilot.press("escape", "escape", "d")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), 10)
        await pilot.press("question_mark")
        await pilot.pause()
        rows = {(key, does) for key, does, _ in app.screen.rows}
        assert ("space", "Mark run") in rows and ("7", "Sort by column 7") in rows and ("/", "Filter") in rows
