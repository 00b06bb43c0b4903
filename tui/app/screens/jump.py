"""`:` then a screen name and Enter, as in k9s; Tab completes."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label


class JumpScreen(ModalScreen[str | None]):
    """Dismisses with the chosen screen name (a unique prefix is enough), or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        """One input line with completion, the names below."""
        yield Input(placeholder=":screen", id="jump", suggester=SuggestFromList(self.names, case_sensitive=False))
        yield Label(" ".join(self.names), id="jump-names")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Open the named screen, or say which names exist."""
        text = event.value.strip().lstrip(":").lower()
        matches = [n for n in self.names if n.startswith(text)] if text else []
        if len(matches) == 1 or text in self.names:
            self.dismiss(text if text in self.names else matches[0])
        else:
            self.notify(f":{text}: unknown screen (allowed: {', '.join(self.names)})", severity="error")
