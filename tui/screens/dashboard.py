"""Live dashboard of a sweep: a curve per run grouped by arm, pruning events filling in, progress and ETA."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, Static

from gst.tui.live import SweepLive, load_live
from gst.tui.render import fmt
from gst.tui.screens.base import PollingScreen
from gst.tui.widgets.curve import CurveStrip

EVENT_ROWS = 200


class DashboardScreen(PollingScreen):
    """Everything a sweep has measured so far, refreshed every second from the database."""

    BINDINGS = [
        Binding("s", "summary", "Summary"),
        Binding("x", "cancel", "Cancel sweep"),
        Binding("u", "resume", "Resume"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, sweep_id: str) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.strips: dict[str, CurveStrip] = {}
        self.shown_events = -1

    def compose(self) -> ComposeResult:
        """Header line, curves, events table."""
        yield Header()
        yield Static("loading…", id="sweep-header")
        yield VerticalScroll(id="curves")
        table: DataTable[str] = DataTable(id="events", zebra_stripes=True, cursor_type="row")
        for label, width in (
            ("run", 24),
            ("epoch", 5),
            ("layers", 24),
            ("k", 8),
            ("before %", 8),
            ("after %", 8),
            ("drop pp", 7),
        ):
            table.add_column(label, width=width)
        yield table
        yield Footer()

    def load(self) -> SweepLive:
        """One read of the sweep."""
        return load_live(self.app.db, self.sweep_id)  # type: ignore[attr-defined]

    def show(self, live: SweepLive) -> None:
        """Header, curves and new events."""
        self.sweep_id = live.sweep_id
        eta = "-" if live.eta_seconds is None else str(timedelta(seconds=int(live.eta_seconds)))
        self.query_one("#sweep-header", Static).update(
            f"sweep [b]{live.sweep_id}[/b] · {live.preset} · {live.count('completed')}/{len(live.runs)} runs completed, "
            f"{live.count('running')} running, {live.count('failed') + live.count('interrupted')} stopped · "
            f"epochs {live.epochs_done}/{live.epochs_total} · ETA {eta}"
        )
        curves = self.query_one("#curves", VerticalScroll)
        for run in live.runs:
            strip = self.strips.get(run.run_id)
            if strip is None:
                if not any(r.arm == run.arm for r in live.runs if r.run_id in self.strips):
                    curves.mount(Label(f"[b]{run.arm}[/]", classes="arm-title"))
                strip = self.strips[run.run_id] = CurveStrip(f"seed {run.seed}", classes="curve")
                curves.mount(strip)
            strip.update_curves(run.test_acc, run.train_acc, run.drop_marks(), run.status)
        if len(live.events) != self.shown_events:
            self.shown_events = len(live.events)
            table = self.query_one("#events", DataTable)
            table.clear()
            for e in live.events[:EVENT_ROWS]:
                table.add_row(
                    e["run_id"],
                    str(e["epoch"]),
                    e["layers"] or "",
                    fmt(e["k_pruned"]),
                    fmt(e["acc_before"]),
                    fmt(e["acc_after"]),
                    fmt(e["drop_pp"]),
                )

    def action_summary(self) -> None:
        """Open the sweep's summary."""
        from gst.tui.screens.summary import SummaryScreen

        self.app.push_screen(SummaryScreen(self.sweep_id))

    def action_cancel(self) -> None:
        """Stop the sweep if this TUI launched it."""
        if self.app.launcher.cancel(self.sweep_id):  # type: ignore[attr-defined]
            self.notify(f"cancelling {self.sweep_id}: the current run is marked interrupted")
        else:
            self.notify(
                "this sweep was not started from this window: stop it where it runs (Ctrl-C)", severity="warning"
            )

    def action_resume(self) -> None:
        """Queue `gst resume` for this sweep."""
        self.app.launcher.resume(self.sweep_id)  # type: ignore[attr-defined]
        self.notify(f"resume of {self.sweep_id} queued")
