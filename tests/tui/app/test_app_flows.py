"""The app as a daily instrument, point by point, driven with the Pilot on fabricated sweeps (no training).

The heavier ones (two sweeps, the composer's many widgets, matplotlib) are marked slow."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from textual.widgets import DataTable, Input, Label, RichLog, Static, TextArea

from gst.engine.spec.preset import parse_preset
from gst.tui.app.gst_app import GstApp
from gst.tui.app.launcher import Launch
from gst.tui.app.screens.charts import ChartsScreen
from gst.tui.app.screens.composer import ComposerScreen
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.screens.dashboard import DashboardScreen
from gst.tui.app.screens.help import HelpScreen
from gst.tui.app.screens.log import LogScreen
from gst.tui.app.screens.presets import PresetsScreen
from gst.tui.app.screens.query import QueryScreen
from gst.tui.app.screens.run_detail import RunDetailScreen
from gst.tui.app.screens.runs import RunsScreen
from gst.tui.app.screens.summary import SummaryScreen
from gst.tui.app.widgets.accuracy_chart import AccuracyChart
from tests.tui.app.test_app import notifications, text_of, wait_until
from tests.tui.fabricate import fabricate

SHORT = ("base.epochs=12", "base.lr_milestones=[]", "base.prune.end_epoch=[6, 6, 6, 9]")


def confirm_text(app: GstApp) -> str:
    return text_of(app.screen.query_one("#confirm-body Static", Static))


async def test_selecting_shows_and_launching_asks_with_the_plan(db: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # Enter on the highlighted fig1 only selects it
        await pilot.pause()
        assert isinstance(app.screen, PresetsScreen) and not app.launcher.launches
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        text = confirm_text(app)
        assert "40 runs, 13,000 epochs" in text and "estimated wall time" in text and "data cifar10" in text
        await pilot.press("enter")  # the focused answer is the safe one
        await pilot.pause()
        assert isinstance(app.screen, PresetsScreen) and not app.launcher.launches


@pytest.mark.slow
async def test_quit_and_cancel_ask_while_a_sweep_runs(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="live1")
    app = GstApp(db)
    cancelled: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.launcher.launches.append(Launch(sweep_id="live1", label="smoke", args=[], state="running"))
        app.launcher.cancel = lambda sweep_id: cancelled.append(sweep_id) or True  # type: ignore[method-assign]
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "quitting interrupts it" in confirm_text(app)
        await pilot.press("n")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and app.screen.sweep_id == "live1"
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Cancel sweep live1?" in str(
            app.screen.query_one("#confirm-title", Label).content
        )
        await pilot.press("y")
        await pilot.pause()
        assert cancelled == ["live1"]
        app.launcher.launches[0].state = "cancelled"
        await pilot.press("q")  # nothing runs now: no question
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.slow
async def test_d_and_s_follow_the_selected_sweep_and_the_header_says_which(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="older")
    fabricate(db, "smoke", seeds=1, sweep_id="newer")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await wait_until(pilot, lambda: "(newest)" in text_of(app.screen.query_one("#sweep-header", Static)), 30)
        await pilot.press("escape", "r")
        await wait_until(pilot, lambda: app.screen.query_one("#sweeps", DataTable).row_count == 2, 30)
        await pilot.press("down")
        await pilot.pause()
        await pilot.press("escape", "s")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen) and app.screen.sweep_id == "older"
        await pilot.press("escape", "d")
        await wait_until(pilot, lambda: "older" in text_of(app.screen.query_one("#sweep-header", Static)), 30)
        assert "(selected)" in text_of(app.screen.query_one("#sweep-header", Static))


@pytest.mark.slow
async def test_80x24_dashboard_shows_drops_and_home_shows_its_inputs(db: Path) -> None:
    fabricate(db, "fig2", seeds=2, overrides=SHORT, sweep_id="f2")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for name in ("device", "seeds", "arms"):
            box = app.screen.query_one(f"#{name}", Input)
            assert box.region.width >= 6 and box.region.bottom <= 23  # on screen, wide enough to read
        assert app.screen.query_one("#preset-details").region.height >= 15  # the plan preview keeps the room
        await app.push_screen(DashboardScreen("f2"))
        await wait_until(pilot, lambda: app.screen.query_one("#events", DataTable).row_count > 0, 30)
        table = app.screen.query_one("#events", DataTable)
        widths = [c.get_render_width(table) for c in table.columns.values()]
        assert "drop pp" in [str(c.label) for c in table.columns.values()] and sum(widths) <= table.size.width
        header = text_of(app.screen.query_one("#sweep-header", Static))
        assert "8/8 done" in header and "ETA" not in header  # nothing runs: no ETA


@pytest.mark.slow
async def test_composer_has_two_columns_when_wide_and_whole_errors(db: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert not app.screen.query_one("#composer-form").has_class("wide")
        app.screen.query_one("#end_epoch", Input).value = "9"
        await pilot.pause()
        error = app.screen.query_one("#err-end_epoch", Label)
        assert "is not an epoch index of a 5-epoch run" in str(error.content) and error.size.height >= 2  # wrapped
    app = GstApp(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.query_one("#composer-form").has_class("wide")


@pytest.mark.slow
async def test_a_failed_launch_shows_its_error_and_log_where_the_user_looks(db: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        failed = Launch(sweep_id="gone", label="fig1", args=["run", "preset", "fig1"], state="failed", returncode=1)
        failed.log += ["Traceback (most recent call last):", "gst: no CIFAR-10 in /nowhere (pass --data-dir)"]
        app.launcher.launches += [failed, Launch(sweep_id="later", label="smoke", args=[])]
        await app.push_screen(DashboardScreen("gone"))
        await wait_until(pilot, lambda: "failed" in text_of(app.screen.query_one("#sweep-header", Static)), 30)
        assert "no CIFAR-10 in /nowhere" in text_of(app.screen.query_one("#sweep-header", Static))
        await pilot.press("o")
        await pilot.pause()
        log = app.screen.query_one("#log", RichLog)
        await wait_until(pilot, lambda: any("Traceback" in line.text for line in log.lines), 10)
        assert isinstance(app.screen, LogScreen)
        await pilot.press("escape", "escape")
        await app.push_screen(DashboardScreen("later"))  # queued, no rows yet: waiting, not an error
        await wait_until(pilot, lambda: "waiting" in text_of(app.screen.query_one("#sweep-header", Static)), 30)
        await app.push_screen(DashboardScreen("unknown"))  # never stuck on "reading…"
        await wait_until(pilot, lambda: "no " in text_of(app.screen.query_one("#sweep-header", Static)), 30)
        assert not any("no sweep" in m for m in notifications(app))


@pytest.mark.slow
async def test_a_real_launch_without_cifar10_fails_visibly(db: Path, tmp_path: Path) -> None:
    app = GstApp(db, data_dir=tmp_path / "empty")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "y")
        await wait_until(pilot, lambda: app.launcher.launches and app.launcher.launches[0].state == "failed", 300)
        await wait_until(pilot, lambda: "failed" in text_of(app.screen.query_one("#sweep-header", Static)), 30)
        assert any("failed" in m and "CIFAR-10" in m and "(o: log)" in m for m in notifications(app))
        assert not any("no sweep" in m for m in notifications(app))


async def test_run_detail_shows_plan_flags_pruning_epochs_and_zooms(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RunDetailScreen("sm-prune_L-0"))
        await wait_until(pilot, lambda: app.screen.query_one("#run-epochs", DataTable).row_count == 5, 30)
        table = app.screen.query_one("#run-epochs", DataTable)
        flags = [str(table.get_row_at(i)[1]) for i in range(5)]
        assert [f.startswith("✂") for f in flags] == [False, True, True, True, False]  # the plan: epochs 2, 3, 4
        assert str(table.get_row_at(0)[2]) == "1e-3"
        assert "353894/353895" in text_of(app.screen.query_one("#run-plan", Static))  # k per event of the plan
        assert app.screen.query_one(AccuracyChart).drawn is not None
        await pilot.press("plus")
        assert app.screen.window == (2.0, 4.0)  # type: ignore[attr-defined]
        await pilot.press("0")
        assert app.screen.window is None  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_runs_browser_flags_interrupted_sweeps_resumes_and_filters_all(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="stopped")
    fabricate(db, "fig2", seeds=1, overrides=SHORT, sweep_id="other")
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE runs SET status = 'interrupted' WHERE run_id = 'stopped-prune_S-0'")
    app = GstApp(db)
    resumed: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.launcher.resume = lambda sweep_id, device="auto": resumed.append(sweep_id)  # type: ignore[method-assign,assignment,return-value]
        await pilot.pause()
        assert any("1 interrupted sweep(s) (stopped)" in m for m in notifications(app))
        await pilot.press("r")
        await wait_until(pilot, lambda: app.screen.query_one("#sweeps", DataTable).row_count == 2, 30)
        sweeps = app.screen.query_one("#sweeps", DataTable)
        rows = {str(sweeps.get_row_at(i)[0]): [str(c) for c in sweeps.get_row_at(i)] for i in range(2)}
        assert rows["stopped"][1] == "interrupted (u resumes)" and rows["stopped"][5].startswith("Smoke test")
        assert rows["other"][1] == "completed"
        sweeps.move_cursor(row=list(rows).index("stopped"))
        await pilot.press("u")
        await pilot.pause()
        assert resumed == ["stopped"]
        await pilot.press("slash", *list("ebn_L"))  # an arm of the other sweep
        await wait_until(pilot, lambda: app.screen.query_one("#runs", DataTable).row_count == 1, 30)
        assert str(app.screen.query_one("#runs", DataTable).get_row_at(0)[0]) == "other-ebn_L_r40-0"


@pytest.mark.slow
async def test_composer_arms_load_and_no_silent_overwrite(db: Path, tmp_path: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        screen.query_one("#arm-name", Input).value = "prune_L"
        screen.action_add_arm()
        screen.query_one("#prune").value = False  # type: ignore[attr-defined]
        screen.query_one("#arm-name", Input).value = "baseline"
        screen.action_add_arm()
        target = tmp_path / "two.toml"
        screen.query_one("#save-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause()
        sweep = parse_preset(target.read_text(), name="two")
        assert [a.name for a in sweep.arms] == ["prune_L", "baseline"] and sweep.arms[1].spec.prune is None
        assert sweep.title == "composed: two"
        await pilot.press("ctrl+s")  # the file exists now: ask
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        screen.query_one("#save-path", Input).value = "smoke"
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert [n for n, _ in screen.arms] == ["unpruned", "prune_S", "prune_L"]  # type: ignore[attr-defined]
        assert screen.query_one("#save-path", Input).value == "smoke.toml"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "6 runs, 30 epochs" in confirm_text(app)


@pytest.mark.slow
async def test_screen_keys_work_everywhere_and_colon_jumps(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        for key, screen in (("d", DashboardScreen), ("g", ChartsScreen), ("r", RunsScreen), ("e", QueryScreen)):
            await pilot.press("escape" if key == "e" else key)  # from the runs table Esc goes back (to the charts)
            if key == "e":
                await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, screen), key
        await pilot.press("escape", "colon", *list("summ"), "enter")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = [k for k, *_ in app.screen.rows]  # type: ignore[attr-defined]
        assert keys.count(":") == 1 and "f" in keys  # the summary's own key, and the app's, each once
        await pilot.press("escape", "p")
        await pilot.pause()
        assert isinstance(app.screen, PresetsScreen)


async def test_sql_screen_reads_and_never_writes(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, QueryScreen)
        await pilot.press("ctrl+r")  # the example query: runs per arm
        await wait_until(pilot, lambda: app.screen.query_one("#sql-result", DataTable).row_count == 3, 30)
        app.screen.query_one("#sql", TextArea).text = "DELETE FROM runs"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "may only read" in text_of(app.screen.query_one("#sql-status", Static)), 30)
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (3,)


@pytest.mark.slow
async def test_figure_and_screenshot_paths_are_absolute_and_exist(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fabricate(db, "smoke", seeds=2, sweep_id="sm")
    monkeypatch.chdir(tmp_path)
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(SummaryScreen("sm"))
        await pilot.press("f")
        await wait_until(pilot, lambda: any(m.startswith("wrote") for m in notifications(app)), 30)
        message = next(m for m in notifications(app) if m.startswith("wrote"))
        png, pdf = message.removeprefix("wrote ").split(" and ")
        assert Path(png).is_absolute() and Path(png).is_file() and pdf.endswith(".pdf") and Path(pdf).is_file()
        (shoot,) = [c for c in app.get_system_commands(app.screen) if c.title == "Screenshot"]
        shoot.callback()  # as the palette's "Screenshot" does
        await pilot.pause()
        shot = next(m for m in notifications(app) if m.startswith("screenshot: ")).removeprefix("screenshot: ")
        assert Path(shot).is_file() and Path(shot).parent == tmp_path.resolve()
