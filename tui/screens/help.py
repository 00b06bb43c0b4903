"""`?`: every key binding of the app and its screens."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def bindings_table(groups: dict[str, list[Binding]]) -> Table:
    """Key, action description, where."""
    table = Table(title="gst key bindings (mouse works everywhere; ctrl+p opens the command palette)")
    for col in ("key", "does", "where"):
        table.add_column(col)
    for where, bindings in groups.items():
        for b in bindings:
            table.add_row(b.key.replace("question_mark", "?").replace("slash", "/"), b.description or b.action, where)
    return table


class HelpScreen(ModalScreen[None]):
    """A scrollable table; Esc or ? closes it."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "Close")]

    def __init__(self, groups: dict[str, list[Binding]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        """The table in a scroll box."""
        with VerticalScroll(id="help"):
            yield Static(bindings_table(self.groups))
