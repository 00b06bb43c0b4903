"""SQL over the same DuckDB file, read-only, results in a table (as Harlequin does), without leaving the app."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from gst.engine.spec.errors import GstError
from gst.store import queries
from gst.tui.app.screens.base import GstScreen
from gst.tui.report.cells import clean
from gst.tui.report.tables import fmt

MAX_ROWS = 1000
EXAMPLE = "SELECT arm, count(*) AS runs, avg(final_test_acc) AS final FROM runs GROUP BY arm ORDER BY arm"


class QueryScreen(GstScreen):
    """Type a query, Enter runs it on a read-only connection; the first MAX_ROWS rows are shown."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("ctrl+r", "run", "Run")]

    def compose(self) -> ComposeResult:
        """Query line, status line, results."""
        yield Header()
        yield Input(EXAMPLE, id="sql")
        yield Static("Enter runs the query (read-only; tables: sweeps, runs, epochs, prune_events, …)", id="sql-status")
        yield DataTable(id="sql-result", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Focus the query line."""
        self.query_one("#sql", Input).focus()

    @on(Input.Submitted, "#sql")
    def action_run(self) -> None:
        """Run the query in a thread."""
        self.query_one("#sql-status", Static).update("running…")
        self.execute(self.query_one("#sql", Input).value)

    @work(thread=True, exclusive=True, group="sql", exit_on_error=False)
    def execute(self, sql: str) -> None:
        """Read-only query off the UI thread; errors become the status line."""
        try:
            columns, rows = queries.query(self.app.db, sql, limit=MAX_ROWS + 1)  # one more: "more than" is known
        except GstError as exc:
            message = Text(
                f"query failed: {clean(str(exc))}", style="red"
            )  # the user's SQL and its errors are data, never markup
            self.app.call_from_thread(self.query_one("#sql-status", Static).update, message)
            return
        self.app.call_from_thread(self.show, columns, rows)

    def show(self, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Fill the table."""
        table = self.query_one("#sql-result", DataTable)
        table.clear(columns=True)
        table.add_columns(*(Text(clean(c)) for c in columns))  # `AS "[red]x"` is a name, not markup
        for row in rows[:MAX_ROWS]:
            table.add_row(*(Text(fmt(v)) for v in row))  # cells are data: `[red]` and `:x:` stay literal
        count = f"more than {MAX_ROWS} rows (first {MAX_ROWS} shown)" if len(rows) > MAX_ROWS else f"{len(rows)} rows"
        self.query_one("#sql-status", Static).update(count)
