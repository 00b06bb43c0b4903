"""`?`: every key binding of the app and its screens, each key listed once per place."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {
    "question_mark": "?", "slash": "/", "colon": ":", "left_square_bracket": "[", "right_square_bracket": "]",
    "plus": "+", "minus": "-", "equals_sign": "=", "escape": "esc",
}  # fmt: skip


def key_label(key: str) -> str:
    """'slash' -> '/', 'plus,equals_sign' -> '+'."""
    first = key.split(",")[0]
    return KEY_NAMES.get(first, first)


def binding_rows(groups: dict[str, list[Binding]]) -> list[tuple[str, str, str]]:
    """(key, what it does, where), without repeats."""
    rows: list[tuple[str, str, str]] = []
    for where, bindings in groups.items():
        for b in bindings:
            row = (key_label(b.key), b.description or b.action, where)
            if row not in rows:
                rows.append(row)
    return rows


class HelpScreen(ModalScreen[None]):
    """A scrollable table; Esc or ? closes it."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "Close")]

    def __init__(self, groups: dict[str, list[Binding]]) -> None:
        super().__init__()
        self.rows = binding_rows(groups)

    def compose(self) -> ComposeResult:
        """The table in a scroll box."""
        table = Table(title="gst key bindings (mouse works everywhere; ctrl+p opens the command palette)")
        for col in ("key", "does", "where"):
            table.add_column(col)
        for row in self.rows:
            table.add_row(*row)
        with VerticalScroll(id="help"):
            yield Static(table)
