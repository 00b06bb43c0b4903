"""Live dashboard of a sweep: a compact curve row per run grouped by arm, pruning events filling in, progress and ETA."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, Static

from gst.store.browse import sweep_fingerprint
from gst.tui.app.live import SweepLive, load_live
from gst.tui.app.messages import CancelRequested, ResumeRequested, SweepSelected
from gst.tui.app.screens.base import PollingScreen
from gst.tui.app.widgets.curve import CurveStrip, drop_style
from gst.tui.report.cells import cell, clean, fmt

EVENT_ROWS = 200
EVENT_COLUMNS = (("run", 16), ("epoch", 5), ("k", 6), ("before %", 8), ("after %", 8), ("drop pp", 7))


def header_text(live: SweepLive, why: str) -> Text:
    """One line: which sweep and why it is shown, runs, epochs and (while something trains) the ETA."""
    eta = live.eta_seconds
    parts = [
        f"{live.count('completed')}/{len(live.runs)} done, {live.count('running')} running"
        + (f", {live.count('failed') + live.count('interrupted')} stopped" if live.count("failed") + live.count("interrupted") else "")
        + (f", {live.count('diverged')} diverged" if live.count("diverged") else ""),
        f"epochs {live.epochs_done}/{live.epochs_total}",
    ]  # fmt: skip
    if eta is not None:
        parts.append(f"ETA {timedelta(seconds=int(eta))}")
    head = Text.assemble("sweep ", (clean(live.sweep_id), "bold"), f" ({why}) · ", clean(live.preset))
    return Text(" · ").join([head, *map(Text, parts)])


class DashboardScreen(PollingScreen):
    """Everything a sweep has measured so far, refreshed every second from the database."""

    BINDINGS = [
        Binding("g", "charts", "Charts"),
        Binding("s", "summary", "Summary"),
        Binding("x", "cancel", "Cancel"),
        Binding("u", "resume", "Resume"),
        Binding("o", "log", "Log"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, sweep_id: str, why: str = "selected") -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.why = why
        self.strips: dict[str, CurveStrip] = {}
        self.shown_events = -1
        self.event_runs: list[str] = []
        self.live: SweepLive | None = None

    def compose(self) -> ComposeResult:
        """Header line, curves, events table."""
        yield Header()
        yield Static(Text(f"sweep {self.sweep_id} ({self.why}): reading…"), id="sweep-header")
        yield VerticalScroll(id="curves")
        table: DataTable[Text] = DataTable(id="events", zebra_stripes=True, cursor_type="row")
        for label, width in EVENT_COLUMNS:
            table.add_column(label, width=width)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        """This sweep becomes the current one."""
        if self.sweep_id != "latest":
            self.post_message(SweepSelected(self.sweep_id))
        super().on_mount()

    def fingerprint(self) -> tuple[object, ...]:
        """Runs, epochs done and statuses of the sweep."""
        return sweep_fingerprint(self.app.db, self.sweep_id)

    def load(self) -> SweepLive:
        """One read of what changed in the sweep."""
        self.live = load_live(self.app.db, self.sweep_id, self.live)
        return self.live

    def failed(self, message: str) -> None:
        """A sweep launched here that has not registered yet is waiting, not an error; a failed launch says why."""
        launch = self.app.launcher.find(self.sweep_id)
        header = self.query_one("#sweep-header", Static)
        if launch is not None and launch.state in ("queued", "running"):
            header.update(
                Text.assemble(
                    "sweep ",
                    (self.sweep_id, "bold"),
                    f" ({clean(launch.label)}): {launch.state}, waiting for its first rows…",
                )
            )
        elif launch is not None and launch.state == "failed":
            tail = launch.stderr_tail[-1] if launch.stderr_tail else f"exit code {launch.returncode}"
            header.update(
                Text.assemble((f"sweep {self.sweep_id} failed: ", "bold red"), clean(tail), ("  (o: full log)", "dim"))
            )
        else:
            header.update(Text(message, style="red"))

    def show(self, live: SweepLive) -> None:
        """Header, curves and new events."""
        self.sweep_id = live.sweep_id
        self.sub_title = f"sweep {live.sweep_id} ({self.why})"
        header = header_text(live, self.why)
        launch = self.app.launcher.find(live.sweep_id)
        if launch is not None and launch.state == "failed":
            tail = launch.stderr_tail[-1] if launch.stderr_tail else f"exit code {launch.returncode}"
            header.append(f"\nlaunch failed: {clean(tail)}", style="bold red").append("  (o: full log)", style="dim")
        self.query_one("#sweep-header", Static).update(header)
        curves = self.query_one("#curves", VerticalScroll)
        for run in live.runs:
            strip = self.strips.get(run.run_id)
            if strip is None:
                if not any(r.arm == run.arm for r in live.runs if r.run_id in self.strips):
                    curves.mount(Label(Text(clean(run.arm), style="bold"), classes="arm-title"))
                strip = self.strips[run.run_id] = CurveStrip(f"seed {run.seed}", classes="curve")
                curves.mount(strip)
            strip.update_curves(run.test_acc, run.train_acc, run.drop_marks(), run.status)
        if len(live.events) != self.shown_events:
            self.shown_events = len(live.events)
            arms = {r.run_id: f"{r.arm}/{r.seed}" for r in live.runs}
            table = self.query_one("#events", DataTable)
            table.clear()
            self.event_runs = []
            for e in live.events[:EVENT_ROWS]:
                drop = e["drop_pp"]
                table.add_row(
                    cell(arms.get(e["run_id"], e["run_id"])),
                    cell(e["epoch"]),
                    Text(str(e["k_pruned"])),  # whole: 353894 fits the column, 353,894 would not
                    cell(e["acc_before"]),
                    cell(e["acc_after"]),
                    Text(fmt(drop), style=drop_style(drop) if drop is not None else ""),
                )
                self.event_runs.append(e["run_id"])

    @on(DataTable.RowSelected, "#events")
    def event_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an event opens its run."""
        from gst.tui.app.screens.run_detail import RunDetailScreen

        if event.cursor_row < len(self.event_runs):
            self.app.push_screen(RunDetailScreen(self.event_runs[event.cursor_row]))

    def action_charts(self) -> None:
        """Line charts of this sweep."""
        from gst.tui.app.screens.charts import ChartsScreen

        self.app.push_screen(ChartsScreen(self.sweep_id, self.why))

    def action_summary(self) -> None:
        """Open the sweep's summary."""
        from gst.tui.app.screens.summary import SummaryScreen

        self.app.push_screen(SummaryScreen(self.sweep_id, self.why))

    def action_log(self) -> None:
        """The launch's stderr."""
        from gst.tui.app.screens.log import LogScreen

        self.app.push_screen(LogScreen(self.sweep_id, self.why))

    def action_cancel(self) -> None:
        """Ask the app to stop the sweep (it confirms first)."""
        self.post_message(CancelRequested(self.sweep_id))

    def action_resume(self) -> None:
        """Ask the app to queue `gst resume` for this sweep."""
        self.post_message(ResumeRequested(self.sweep_id))
