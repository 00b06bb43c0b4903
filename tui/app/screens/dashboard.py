"""Live dashboard of a sweep: a compact curve row per run grouped by arm, pruning events filling in, progress and ETA."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from gst.store.browse import sweep_fingerprint
from gst.tui.app.live import SweepLive, load_live
from gst.tui.app.messages import CancelRequested, ResumeRequested, RunsMarked, SweepSelected
from gst.tui.app.screens.base import SweepScreen
from gst.tui.app.widgets.drops import drop_text
from gst.tui.app.widgets.run_table import RunRow, RunTable
from gst.tui.report.cells import cell, clean

EVENT_ROWS = 200
EVENT_COLUMNS = (("run", 16), ("epoch", 5), ("k", 6), ("before %", 8), ("after %", 8), ("drop pp", 8))


def header_text(live: SweepLive, why: str, width: int = 0) -> Text:
    """One line: which sweep and why it is shown, runs, epochs and (while something trains) the ETA.

    At `width` it never wraps: the longer wording of each part gives way to a shorter one first, then the
    preset name, then the reason; the sweep id, progress and ETA stay.
    """
    stopped, diverged = live.count("failed") + live.count("interrupted"), live.count("diverged")
    eta = live.eta_seconds
    eta_text = f"ETA {timedelta(seconds=int(eta))}" if eta is not None else ""
    sweep = clean(live.sweep_id)
    variants = [
        (f" ({why})", clean(live.preset), f"{live.count('completed')}/{len(live.runs)} done, {live.count('running')} running"
         + (f", {stopped} stopped" if stopped else "") + (f", {diverged} diverged" if diverged else ""), f"epochs {live.epochs_done}/{live.epochs_total}"),
        (f" ({why})", clean(live.preset), f"{live.count('completed')}/{len(live.runs)} done"
         + (f" {live.count('running')}▶" if live.count("running") else "") + (f" {stopped + diverged}✗" if stopped + diverged else ""),
         f"ep {live.epochs_done}/{live.epochs_total}"),
        ("", "", f"{live.count('completed')}/{len(live.runs)} done", f"ep {live.epochs_done}/{live.epochs_total}"),
    ]  # fmt: skip
    for why_part, preset, runs, epochs in variants:
        parts = [p for p in (preset, runs, epochs, eta_text) if p]
        text = Text.assemble("sweep ", (sweep, "bold"), why_part, " · ", " · ".join(parts))
        if not width or text.cell_len <= width:
            return text
    text.truncate(width, overflow="ellipsis")
    return text


def run_rows(live: SweepLive) -> list[RunRow]:
    """The run table's rows: every run of the sweep so far, in the preset's order."""
    return [
        RunRow(
            run_id=r.run_id,
            arm=r.arm,
            seed=r.seed,
            status=r.status,
            epochs_done=len(r.epochs),
            epochs_total=r.epochs_total,
            final=r.final,
            best=r.best,
            instability=r.instability(live.instability),
            gap=r.gap,
            order=i,
            test=r.test_acc,
            train=r.train_acc,
            marks=r.drop_marks(),
        )  # fmt: skip
        for i, r in enumerate(live.runs)
    ]


class DashboardScreen(SweepScreen):
    """Everything a sweep has measured so far, refreshed every second: the run table, then the pruning events."""

    AUTO_FOCUS = "#run-table"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("t", "curve", "Test/train"),
        Binding("x", "cancel", "Cancel"),
        Binding("u", "resume", "Resume"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, sweep_id: str, why: str = "selected") -> None:
        super().__init__(sweep_id, why)
        self.shown_events = -1
        self.event_runs: list[str] = []
        self.live: SweepLive | None = None

    def compose(self) -> ComposeResult:
        """Header line, the run table (with a hidden filter box), events table."""
        yield Header()
        yield Static(Text(f"sweep {self.sweep_id} ({self.why}): reading…"), id="sweep-header")
        yield Input(placeholder="filter runs (arm, seed, status)…", id="run-filter", classes="hidden", disabled=True)
        yield RunTable(id="run-table")
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

    def forget(self) -> None:
        """Another sweep: clear the tables until it is read."""
        self.live, self.shown_events = None, -1
        self.query_one("#sweep-header", Static).update(Text(f"sweep {self.sweep_id} ({self.why}): reading…"))
        self.query_one(RunTable).set_runs([])
        self.query_one("#events", DataTable).clear()

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
        """Header, run table and new events."""
        self.live = live
        self.sweep_id, self.resolved = live.sweep_id, True
        self.sub_title = f"sweep {live.sweep_id} ({self.why})"
        self.show_header()
        self.query_one(RunTable).set_runs(run_rows(live), live.instability)
        if len(live.events) != self.shown_events:
            self.shown_events = len(live.events)
            arms = {r.run_id: f"{r.arm}/{r.seed}" for r in live.runs}
            table = self.query_one("#events", DataTable)
            table.clear()
            self.event_runs = []
            for e in live.events[:EVENT_ROWS]:
                drop = e["drop_pp"]
                table.add_row(
                    Text(clean(arms.get(e["run_id"], e["run_id"])), overflow="ellipsis", no_wrap=True),
                    cell(e["epoch"]),
                    Text(str(e["k_pruned"])),  # whole: 353894 fits the column, 353,894 would not
                    cell(e["acc_before"]),
                    cell(e["acc_after"]),
                    drop_text(drop) if drop is not None else Text("-"),
                )
                self.event_runs.append(e["run_id"])

    @on(DataTable.RowSelected, "#events")
    def event_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an event opens its run."""
        if event.cursor_row < len(self.event_runs):
            self.open_run(self.event_runs[event.cursor_row])

    def show_header(self) -> None:
        """The one-line header at the current width, and a failed launch's reason below it."""
        if self.live is None:
            return
        header = header_text(self.live, self.why, self.size.width - 2)
        launch = self.app.launcher.find(self.live.sweep_id)
        if launch is not None and launch.state == "failed":
            tail = launch.stderr_tail[-1] if launch.stderr_tail else f"exit code {launch.returncode}"
            header.append(f"\nlaunch failed: {clean(tail)}", style="bold red").append("  (o: full log)", style="dim")
        self.query_one("#sweep-header", Static).update(header)

    def on_resize(self) -> None:
        """The header line is fitted to the width."""
        self.show_header()

    @on(DataTable.RowSelected, "#run-table")
    def run_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click) on a run opens it."""
        self.open_run(str(event.row_key.value))

    @on(RunTable.MarksChanged)
    def marks_changed(self, event: RunTable.MarksChanged) -> None:
        """Marked runs are overlaid on the charts (`g`)."""
        self.post_message(RunsMarked(self.sweep_id, event.marked))

    @on(Input.Changed, "#run-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        """Filter the run table as the user types."""
        self.query_one(RunTable).set_filter(event.value)

    @on(Input.Submitted, "#run-filter")
    def filter_done(self) -> None:
        """Enter in the filter box goes back to the (filtered) table."""
        self.query_one(RunTable).focus()

    def action_filter(self) -> None:
        """Show and focus the filter box."""
        box = self.query_one("#run-filter", Input)
        box.disabled = False
        box.remove_class("hidden")
        box.focus()

    def action_back(self) -> None:
        """Close the filter if open (clearing it), else go back."""
        box = self.query_one("#run-filter", Input)
        if not box.has_class("hidden"):
            box.value = ""
            box.add_class("hidden")
            box.disabled = True
            self.query_one(RunTable).focus()
        else:
            self.app.go_back()

    def action_curve(self) -> None:
        """The run table's sparklines: test or train accuracy."""
        table = self.query_one(RunTable)
        table.set_curve("train" if table.curve == "test" else "test")

    def open_run(self, run_id: str) -> None:
        """Push the run's detail screen (Esc comes back here)."""
        from gst.tui.app.screens.run_detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(run_id))

    def action_cancel(self) -> None:
        """Ask the app to stop the sweep (it confirms first)."""
        self.post_message(CancelRequested(self.sweep_id))

    def action_resume(self) -> None:
        """Ask the app to queue `gst resume` for this sweep."""
        self.post_message(ResumeRequested(self.sweep_id))
