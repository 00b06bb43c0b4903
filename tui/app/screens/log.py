"""The stderr of a sweep launched from this window (like k9s's logs): why a launch failed, what it printed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, RichLog, Static

from gst.tui.app.screens.base import GstScreen
from gst.tui.report.cells import clean


class LogScreen(GstScreen):
    """Follows the launch's log while it runs, long lines wrapped; says so when the sweep was not launched here."""

    BINDINGS = [Binding("escape", "app.back", "Back")]

    def __init__(self, sweep_id: str, why: str = "selected") -> None:
        super().__init__()
        self.sweep_id, self.why = sweep_id, why
        self.shown = 0

    def compose(self) -> ComposeResult:
        """Command and state above, the log below."""
        yield Header()
        yield Static(id="log-header")
        yield RichLog(id="log", wrap=True, markup=False, highlight=False)
        yield Footer()

    def follow(self, sweep_id: str, why: str) -> None:
        """Show another sweep's launch (the current sweep changed)."""
        if sweep_id != self.sweep_id:
            self.sweep_id, self.why, self.shown = sweep_id, why, 0
            self.query_one(RichLog).clear()
            self.refresh_log()

    def on_mount(self) -> None:
        """Show what there is, then follow."""
        self.refresh_log()
        self.set_interval(1.0, self.refresh_log)

    def refresh_log(self) -> None:
        """Append new lines and update the state line."""
        launches = self.app.launcher.launches
        launch = next((x for x in reversed(launches) if x.sweep_id == self.sweep_id), None)
        if launch is None and self.sweep_id == "latest" and launches:
            launch = launches[-1]
        header = self.query_one("#log-header", Static)
        if launch is None:
            header.update(
                f"sweep {self.sweep_id} ({self.why}) was not launched from this window: "
                "its output is in the terminal that ran it"
            )
            return
        code = "" if launch.returncode is None else f", exit code {launch.returncode}"
        header.update(
            Text.assemble(
                "sweep ", (launch.sweep_id, "bold"), f" · {launch.state}{code}\n", (clean(launch.command), "dim")
            )
        )
        log = self.query_one(RichLog)
        if len(launch.log) < self.shown:  # trimmed to the last lines: start over
            log.clear()
            self.shown = 0
        for line in launch.log[self.shown :]:
            log.write(Text(clean(line)))  # literal; a stray NUL or RTL override stays out
        self.shown = len(launch.log)
