"""Database text is data, never markup: titles, arms, labels, notes and errors render literally on every screen.

A sweep stored by anyone (another tool, a hand-edited file) may hold `[red]…[/red]`, `:x:` or a right-to-left
override; the app must show the first two as typed and drop the control character, as the CLI does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Static

from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.dashboard import DashboardScreen
from gst.tui.app.screens.run_detail import RunDetailScreen
from gst.tui.app.screens.runs import RunsScreen
from gst.tui.app.screens.summary import SummaryScreen
from gst.tui.app.widgets.run_table import RunTable
from gst.tui.report.cells import TITLE_CHARS
from tests.tui.app.test_app import wait_until
from tests.tui.fabricate import fabricate

HOSTILE = "[red]x[/red] :x: \u202eevil"
SHOWN = "[red]x[/red] :x: evil"  # what the screen must show: markup and emoji code literal, the override gone
LONG_TITLE = f"{HOSTILE} " + "y" * 300
RUN = "lit-prune_L-0"


def rendered(widget: Widget) -> str:
    """The characters the widget draws on the screen."""
    lines = widget.render_lines(Region(0, 0, widget.region.width, widget.region.height))
    return "\n".join(line.text for line in lines)


def hostile_db(db: Path) -> None:
    """The smoke sweep with hostile text in its title (row and stored preset), one run's arm, label, note, error."""
    fabricate(db, "smoke", seeds=1, sweep_id="lit")
    with duckdb.connect(str(db)) as conn:
        (toml,) = conn.execute("SELECT preset_toml FROM sweeps WHERE sweep_id = 'lit'").fetchone()  # type: ignore[misc]
        toml = re.sub(r"^title = .*$", lambda _: f"title = {json.dumps(LONG_TITLE)}", toml, count=1, flags=re.M)
        conn.execute("UPDATE sweeps SET title = ?, preset_toml = ? WHERE sweep_id = 'lit'", [LONG_TITLE, toml])
        conn.execute(
            "UPDATE runs SET arm = ?, label = ?, note = ?, error = ? WHERE run_id = ?",
            [HOSTILE, HOSTILE, f"note {HOSTILE}", f"error {HOSTILE}", RUN],
        )


def literal(text: str) -> bool:
    return SHOWN in text and "\u202e" not in text and "❌" not in text


@pytest.mark.slow
async def test_hostile_database_text_renders_literally_on_every_screen(db: Path) -> None:
    hostile_db(db)
    app = GstApp(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.push_screen(RunsScreen())
        sweeps = app.screen.query_one("#sweeps", DataTable)
        await wait_until(pilot, lambda: sweeps.row_count == 1, 30)
        await pilot.pause()
        title = str(sweeps.get_row_at(0)[-1])
        assert literal(rendered(sweeps)) and title.startswith(SHOWN)
        assert len(title) == TITLE_CHARS and title.endswith("…")  # long titles capped

        await app.push_screen(DashboardScreen("lit"))
        events = app.screen.query_one("#events", DataTable)
        runs = app.screen.query_one(RunTable)
        await wait_until(pilot, lambda: events.row_count > 0 and runs.row_count == 3, 30)
        await pilot.pause(0.3)
        table = rendered(runs)  # the arm column is 16 wide: the cell holds the whole name, cut with an ellipsis
        assert SHOWN in [str(runs.get_row_at(i)[1]) for i in range(runs.row_count)]
        assert "[red]x[/red] :x…" in table and "\u202e" not in table and "❌" not in table
        shown = rendered(events)  # the run column is 16 wide: cut with an ellipsis
        assert "[red]x[/red] :x…" in shown and "\u202e" not in shown and "❌" not in shown
        assert f"{SHOWN}/0" in [str(events.get_row_at(i)[0]) for i in range(events.row_count)]

        await app.push_screen(RunDetailScreen(RUN))
        info = app.screen.query_one("#run-info", Static)
        await wait_until(pilot, lambda: "note" in rendered(info), 30)
        text = rendered(info)
        assert literal(text) and f"note {SHOWN}" in text and f"error {SHOWN}" in text

        await app.push_screen(SummaryScreen("lit"))
        summary = app.screen.query_one("#summary", Static)
        await wait_until(pilot, lambda: "Pearson" in rendered(summary) or "correlation" in rendered(summary), 60)
        text = rendered(summary)
        assert literal(text) and "y" * 200 not in text.replace("\n", "")  # the title is capped here too

        app.notify(f"sweep lit failed: {HOSTILE}")  # toasts carry stderr lines and names: literal too
        await pilot.pause()
        toast = list(app._notifications)[-1]
        assert toast.message == f"sweep lit failed: {SHOWN}" and not toast.markup
