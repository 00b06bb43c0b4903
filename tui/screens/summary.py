"""Per-arm instability and accuracy with CIs, the correlation, a scatter plot and the paper's claim, live."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from gst.engine.analysis import SweepAnalysis
from gst.engine.errors import GstError
from gst.tui.screens.base import PollingScreen
from gst.tui.summary_view import summary_renderable
from gst.tui.sweep_data import StoredSweep, load_sweep
from gst.tui.widgets.scatter import ScatterPlot


class SummaryScreen(PollingScreen):
    """Refreshed every few seconds, so it fills in as runs finish."""

    interval = 2.0
    BINDINGS = [Binding("f", "figure", "Write figure"), Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, sweep_id: str) -> None:
        super().__init__()
        self.sweep_id = sweep_id

    def compose(self) -> ComposeResult:
        """Summary text above the scatter plot."""
        yield Header()
        with VerticalScroll():
            yield Static("loading…", id="summary")
            yield ScatterPlot(id="scatter")
        yield Footer()

    def load(self) -> tuple[StoredSweep, SweepAnalysis]:
        """Read and analyse the sweep."""
        stored = load_sweep(self.app.db, self.sweep_id)  # type: ignore[attr-defined]
        return stored, stored.analyze()

    def show(self, data: tuple[StoredSweep, SweepAnalysis]) -> None:
        """Tables, correlation line and scatter points."""
        stored, analysis = data
        self.sweep_id = stored.sweep_id
        self.query_one("#summary", Static).update(summary_renderable(stored, analysis))
        series: dict[str, list[tuple[float, float]]] = {}
        for run in analysis.runs:
            x = getattr(run, analysis.instability)
            if x is not None:
                series.setdefault(run.arm, []).append((x, getattr(run, analysis.accuracy)))
        self.query_one(ScatterPlot).set_points(series, "instability (pp)", "accuracy (%)")

    @work(thread=True, exclusive=True, group="figure", exit_on_error=False)
    def action_figure(self) -> None:
        """Write the paper-style figure into ./figures."""
        from gst.tui.figures import draw

        try:
            paths = draw(load_sweep(self.app.db, self.sweep_id), self.app.db, Path("figures"))  # type: ignore[attr-defined]
        except GstError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.notify, f"wrote {paths[0]}")
