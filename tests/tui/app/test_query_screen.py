"""The SQL screen as a daily tool: full-precision cells, errors that replace results, history across sessions,
the schema browser, export that asks before replacing a file; the database never changes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from textual.widgets import DataTable, OptionList, Static, TextArea, Tree

from gst.tui.app import query_history
from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.screens.path_prompt import PathScreen
from gst.tui.app.screens.query import QueryScreen
from tests.tui.app.test_app import notifications, text_of, wait_until
from tests.tui.fabricate import fabricate


def status(app: GstApp) -> str:
    return text_of(app.screen.query_one("#sql-status", Static))


def cells(app: GstApp, row: int) -> list[str]:
    return [str(c) for c in app.screen.query_one("#sql-result", DataTable).get_row_at(row)]


async def run_sql(pilot: object, app: GstApp, sql: str) -> None:
    app.screen.query_one("#sql", TextArea).text = sql
    before = status(app)
    await pilot.press("ctrl+r")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: status(app) != before and "running" not in status(app), 30)


async def test_cells_keep_full_precision_and_an_error_replaces_the_result(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, QueryScreen)
        await run_sql(pilot, app, "SELECT lr, 1.6e-11 AS p, 72.123456789 AS acc, NULL AS x FROM epochs LIMIT 1")
        assert cells(app, 0) == ["0.001", "1.6e-11", "72.123456789", "-"] and "1 rows" in status(app)
        await run_sql(pilot, app, "SELECT nope FROM runs")
        assert "query failed" in status(app) and app.screen.query_one("#sql-result", DataTable).row_count == 0
        await run_sql(pilot, app, "DELETE FROM runs")
        assert "may only read the database" in status(app)
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (3,)


@pytest.mark.slow
async def test_history_is_kept_across_sessions_and_recalled(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    async with GstApp(db).run_test(size=(80, 24)) as pilot:
        app = pilot.app
        await pilot.press("e")
        await pilot.pause()
        await run_sql(pilot, app, "SELECT count(*) AS n FROM runs")  # type: ignore[arg-type]
        await run_sql(pilot, app, "SELECT arm FROM runs ORDER BY arm")  # type: ignore[arg-type]
    app = GstApp(db)  # a new session
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen.query_one("#sql", TextArea)
        assert editor.text == "SELECT arm FROM runs ORDER BY arm"  # the newest query waits in the editor
        await pilot.press("ctrl+o")  # the history, newest first
        await pilot.pause()
        history = app.screen.query_one("#sql-history", OptionList)
        assert history.has_focus and history.option_count == 2
        await pilot.press("down", "enter")
        await pilot.pause()
        assert editor.text == "SELECT count(*) AS n FROM runs" and editor.has_focus


def test_history_file_is_bounded_and_survives_bad_lines(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_history, "KEEP", 3)
    query_history.history_path(db).parent.mkdir(parents=True)
    query_history.history_path(db).write_text("not json\n")
    for i in range(7):
        query_history.append(db, f"SELECT {i}", rows=1)
    # past 2 * KEEP lines the file is rewritten with the newest KEEP (after SELECT 5), then grows again
    assert [e.sql for e in query_history.load(db)] == ["SELECT 6", "SELECT 5", "SELECT 4", "SELECT 3"]


@pytest.mark.slow
async def test_schema_browser_inserts_names_into_the_editor(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        tree = app.screen.query_one("#sql-schema", Tree)
        await wait_until(pilot, lambda: len(tree.root.children) > 0, 30)
        tables = [str(n.label) for n in tree.root.children]
        assert "epochs" in tables and "schema_migrations" not in tables
        editor = app.screen.query_one("#sql", TextArea)
        editor.text = "SELECT  FROM epochs"
        editor.move_cursor((0, 7))
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert tree.has_focus and app.screen.query_one("#sql-side").display
        tree.move_cursor(next(n for n in tree.root.children if str(n.label) == "epochs"))
        await pilot.press("space", "down", "down", "enter")  # open epochs; its second column
        await pilot.pause()
        assert editor.text == "SELECT epoch FROM epochs" and editor.has_focus


@pytest.mark.slow
async def test_export_asks_before_replacing_and_writes_only_that_file(db: Path, tmp_path: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="sm")
    target = tmp_path / "out" / "lr.csv"
    target.parent.mkdir()
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing run yet: nothing to export
        await pilot.pause()
        assert isinstance(app.screen, QueryScreen) and any("run a query first" in m for m in notifications(app))
        await run_sql(pilot, app, "SELECT run_id, lr FROM epochs ORDER BY run_id, epoch")

        async def export_to(path: Path) -> None:
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, PathScreen)
            app.screen.query_one("Input").value = str(path)  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()

        await export_to(target)
        await wait_until(pilot, lambda: target.exists(), 30)
        lines = target.read_text().splitlines()
        assert lines[0] == "run_id,lr" and lines[1].endswith(",0.001") and len(lines) == 1 + 3 * 5
        target.write_text("keep me")
        await export_to(target)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "keep me"
        await export_to(target)
        await pilot.press("y")
        await wait_until(pilot, lambda: target.read_text().startswith("run_id,lr"), 30)
        assert any(m == f"exported 15 rows to {target}" for m in notifications(app))
        await export_to(target.with_suffix(".parquet"))
        await wait_until(pilot, lambda: target.with_suffix(".parquet").exists(), 30)
    assert sorted(p.name for p in target.parent.iterdir()) == ["lr.csv", "lr.parquet"]
    with duckdb.connect() as conn:
        assert conn.execute(f"SELECT count(*), min(lr) FROM '{target.with_suffix('.parquet')}'").fetchone() == (
            15,
            0.001,
        )
