"""A one-line question for a file path (where to export a query result); Enter answers, Esc cancels."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PathScreen(ModalScreen[str | None]):
    """Dismisses with the typed path (stripped), or None on Esc or an empty answer."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, hint: str, value: str = "") -> None:
        super().__init__()
        self.title_text, self.hint, self.value = title, hint, value

    def compose(self) -> ComposeResult:
        """Title, hint, the path box."""
        with Vertical(id="path-prompt"):
            yield Label(Text(self.title_text), id="path-prompt-title")
            yield Static(Text(self.hint, style="dim"))
            yield Input(self.value, id="path-prompt-input")

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Enter answers with the path."""
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Esc: no path."""
        self.dismiss(None)
