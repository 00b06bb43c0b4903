"""Per-arm instability and accuracy with CIs, the correlation, a scatter plot and the paper's claim, live."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from gst.engine.analysis.sweep_stats import INSTABILITY_LABELS
from gst.engine.spec.errors import GstError
from gst.store.browse import sweep_fingerprint
from gst.tui.app.screens.base import SweepScreen
from gst.tui.app.screens.charts import fitted
from gst.tui.app.widgets.accuracy_chart import ARM_COLOURS
from gst.tui.app.widgets.scatter import ArmPoint, ScatterPlot
from gst.tui.report.cells import clean

if TYPE_CHECKING:  # the analysis pulls in scipy: imported when the screen first loads, not at start-up
    from gst.engine.analysis.sweep_stats import SweepAnalysis
    from gst.tui.report.sweep_data import StoredSweep


class SummaryScreen(SweepScreen):
    """Refreshed every few seconds, so it fills in as runs finish; the scatter takes the rest of the window."""

    interval = 2.0
    BINDINGS = [Binding("f", "figure", "Write figure"), Binding("escape", "app.back", "Back")]

    def compose(self) -> ComposeResult:
        """Summary text above the scatter plot."""
        yield Header()
        with VerticalScroll(id="summary-text"):
            yield Static(Text(f"sweep {self.sweep_id} ({self.why}): reading…"), id="summary")
        yield Static(id="scatter-legend")
        yield ScatterPlot(id="scatter")
        yield Footer()

    def fingerprint(self) -> tuple[object, ...]:
        """Runs, epochs done and statuses: the analysis (bootstrap CIs) reruns only when they change."""
        return sweep_fingerprint(self.app.db, self.sweep_id)

    def load(self) -> tuple[StoredSweep, SweepAnalysis]:
        """Read and analyse the sweep."""
        from gst.tui.report.sweep_data import load_sweep

        stored = load_sweep(self.app.db, self.sweep_id)
        return stored, stored.analyze()

    def forget(self) -> None:
        """Another sweep: say so until it is analysed."""
        self.query_one("#summary", Static).update(Text(f"sweep {self.sweep_id} ({self.why}): reading…"))
        self.query_one("#scatter-legend", Static).update("")
        self.query_one(ScatterPlot).set_points({})

    def failed(self, message: str) -> None:
        """Where the summary would be."""
        self.query_one("#summary", Static).update(Text(message, style="red"))

    def show(self, data: tuple[StoredSweep, SweepAnalysis]) -> None:
        """Tables, correlation line and scatter points with arm means."""
        from gst.tui.report.summary_view import summary_renderable

        stored, analysis = data
        if self.sweep_id not in (stored.sweep_id, "latest"):
            return  # read before the screen moved to another sweep
        self.sweep_id, self.resolved = stored.sweep_id, True
        self.sub_title = f"sweep {stored.sweep_id} ({self.why})"
        self.query_one("#summary", Static).update(summary_renderable(stored, analysis))
        series: dict[str, list[tuple[float, float]]] = {}
        for run in analysis.runs:
            x = getattr(run, analysis.instability)
            if x is not None:
                series.setdefault(run.arm, []).append((x, getattr(run, analysis.accuracy)))
        arms = []
        for arm in analysis.arms:
            x = getattr(arm, analysis.instability)
            y = getattr(arm, analysis.accuracy)
            if x is not None and y is not None and arm.arm in series:
                arms.append(ArmPoint(arm.arm, x, y))
        c = analysis.correlation
        self.query_one(ScatterPlot).set_points(series, arms, None if c is None else (c.slope, c.intercept))
        width = max(20, self.size.width - 2)
        title = Text(f"{analysis.accuracy.replace('_', ' ')} (%) vs {INSTABILITY_LABELS[analysis.instability]}")
        parts = [Text(f"· {clean(name)}", style=ARM_COLOURS[i % len(ARM_COLOURS)]) for i, name in enumerate(series)]
        parts.append(Text("◆ mean ± 95% CI" + (" ─ fit" if c is not None else ""), style="dim"))
        # two lines that never wrap, so the plot keeps its x-axis numbers at 80x24
        legend = Text("\n").join([fitted([title], width), fitted(parts, width, " ")])
        self.query_one("#scatter-legend", Static).update(
            legend if series else Text("no completed pruned runs yet", style="dim")
        )

    @work(thread=True, exclusive=True, group="figure", exit_on_error=False)
    def action_figure(self) -> None:
        """Write the paper-style figure (PNG and PDF) into ./figures and say where, as absolute paths."""
        from gst.tui.report.figures import draw
        from gst.tui.report.sweep_data import load_sweep

        try:
            paths = draw(load_sweep(self.app.db, self.sweep_id), self.app.db, Path("figures"))
        except GstError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        written = " and ".join(str(p.resolve()) for p in paths)
        self.app.call_from_thread(self.notify, f"wrote {written}", timeout=15)
