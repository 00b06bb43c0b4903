"""A yes/no question with the facts to decide on: launching a plan, quitting or cancelling a running sweep."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True on y or the yes button, False on n, Esc or the no button (focused, so Enter is safe)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: RenderableType, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        """Title, the facts, two buttons."""
        with Vertical(id="confirm"):
            yield Label(Text(self.title_text), id="confirm-title")  # titles name files and sweeps: literal
            with VerticalScroll(id="confirm-body"):
                yield Static(self.body)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="success")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        """Focus the safe answer so a stray Enter does nothing harmful."""
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        """Close with the answer."""
        self.dismiss(value)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        """Either button answers."""
        self.dismiss(event.button.id == "yes")
