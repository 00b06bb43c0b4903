"""A sweep's launch log (like k9s's logs): what its `gst run` printed, why a launch failed, kept across restarts.

The launcher writes each launch's stderr to `<db>.d/logs/<sweep>.log` as it comes; this screen follows that
file, so the log of any sweep launched from gst tui, in this window or an earlier one, can be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, RichLog, Static

from gst.engine.spec.errors import GstError
from gst.store.browse import sweep_list
from gst.store.launches import last_launch, log_path
from gst.tui.app.screens.base import GstScreen
from gst.tui.report.cells import clean

READ_BYTES = 1 << 20  # the most of a log read at once (a long log shows its end first)


class LogScreen(GstScreen):
    """Follows the sweep's log file while it grows, long lines wrapped; says so when the sweep was not launched from
    gst tui."""

    BINDINGS = [Binding("escape", "app.back", "Back")]

    def __init__(self, sweep_id: str, why: str = "selected") -> None:
        super().__init__()
        self.sweep_id, self.why = sweep_id, why
        self.read_to = 0  # bytes of the file already shown
        self.shown = 0  # lines of the in-memory log shown (when the file cannot be written)
        self.record: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        """Command and state above, the log below."""
        yield Header()
        yield Static(id="log-header")
        yield RichLog(id="log", wrap=True, markup=False, highlight=False)
        yield Footer()

    def follow(self, sweep_id: str, why: str) -> None:
        """Show another sweep's launch (the current sweep changed)."""
        if sweep_id != self.sweep_id:
            self.sweep_id, self.why, self.shown, self.read_to, self.record = sweep_id, why, 0, 0, None
            self.query_one(RichLog).clear()
            self.refresh_log()

    def on_mount(self) -> None:
        """Show what there is, then follow."""
        self.resolve_latest()
        self.refresh_log()
        self.set_interval(1.0, self.refresh_log)

    def resolve_latest(self) -> None:
        """`latest`: the newest launch of this window, else the newest sweep of the database."""
        if self.sweep_id != "latest":
            return
        launches = self.app.launcher.launches
        if launches:
            self.sweep_id = launches[-1].sweep_id
            return
        try:
            rows = sweep_list(self.app.db) if self.app.db.exists() else []
        except GstError:
            rows = []
        if rows:
            self.sweep_id = str(rows[0]["sweep_id"])

    def refresh_log(self) -> None:
        """Append what the file gained and update the state line."""
        path = log_path(self.app.db, self.sweep_id)
        launch = self.app.launcher.find(self.sweep_id)
        if launch is None and self.record is None and self.app.db.exists():
            try:
                self.record = last_launch(self.app.db, self.sweep_id)
            except GstError:
                self.record = None
        self.query_one("#log-header", Static).update(self.header(path))
        if path.is_file():
            self.read_file(path)
        elif launch is not None:  # the file could not be written: what this window kept
            log = self.query_one(RichLog)
            for line in launch.log[self.shown :]:
                log.write(Text(clean(line)))
            self.shown = len(launch.log)

    def header(self, path: Path) -> Text:
        """Which sweep, how its launch went (this window's, or the stored record), the command and the file."""
        launch = self.app.launcher.find(self.sweep_id)
        if launch is not None:
            code = "" if launch.returncode is None else f", exit code {launch.returncode}"
            state, command = f"{launch.state}{code}", launch.command
        elif self.record is not None:
            code = "" if self.record["returncode"] is None else f", exit code {self.record['returncode']}"
            when = f"{self.record['started_at']:%Y-%m-%d %H:%M} UTC"
            state, command = f"{self.record['status']}{code} (launched {when})", self.record["command"]
        elif path.is_file():
            state, command = "log of an earlier launch", ""
        else:
            return Text(
                f"sweep {self.sweep_id} ({self.why}): no saved log; it was not launched from gst tui, "
                "so its output is in the terminal that ran it"
            )
        failed = state.startswith("failed")
        text = Text.assemble("sweep ", (self.sweep_id, "bold"), (f" · {state}", "bold red" if failed else ""))
        if command:
            text.append("\n" + clean(command), "dim")
        if path.is_file():  # named from the database's folder: `<db>.d/logs/<sweep>.log`
            text.append(f"\nlog: {path.relative_to(self.app.db.parent)} (beside the database)", "dim")
        return text

    def read_file(self, path: Path) -> None:
        """The bytes added since the last read (from the last READ_BYTES of a long file at first)."""
        try:
            size = path.stat().st_size
            if size < self.read_to:  # replaced: start over
                self.query_one(RichLog).clear()
                self.read_to = 0
            if size == self.read_to:
                return
            with path.open("rb") as f:
                f.seek(max(self.read_to, size - READ_BYTES))
                data = f.read(size - f.tell())
        except OSError:
            return
        end = data.rfind(b"\n") + 1  # whole lines only; the rest comes with the next read
        if end == 0:
            return
        self.read_to = size - len(data) + end
        lines = data[:end].decode(errors="replace").splitlines()
        log = self.query_one(RichLog)
        for line in lines:
            log.write(Text(clean(line)))  # literal; a stray NUL or RTL override stays out
