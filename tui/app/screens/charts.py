"""Line charts of a sweep: per arm (mean ± sd band across seeds) or every run of one arm, pruning moments marked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from gst.store.browse import sweep_fingerprint
from gst.tui.app.live import SweepLive, load_live
from gst.tui.app.screens.base import PollingScreen
from gst.tui.app.widgets.accuracy_chart import ARM_COLOURS, AccuracyChart, Series, mean_band
from gst.tui.report.cells import clean


def arm_series(live: SweepLive, metric: str) -> list[Series]:
    """Per arm: mean line and dim ±sd band lines; markers at the mean drop of every pruning epoch."""
    out: list[Series] = []
    for i, arm in enumerate(dict.fromkeys(r.arm for r in live.runs)):
        runs = [r for r in live.runs if r.arm == arm and r.epochs]
        if not runs:
            continue
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        epochs, mean, low, high = mean_band([(r.epochs, getattr(r, metric)) for r in runs])
        drops: dict[int, list[float]] = {}
        for r in runs:
            for epoch, drop in r.drops.items():
                drops.setdefault(epoch, []).append(drop)
        at = dict(zip(epochs, mean, strict=False))
        marks = (
            [(float(e), at[e], sum(d) / len(d)) for e, d in drops.items() if e in at] if metric == "test_acc" else []
        )
        if len(runs) > 1:
            out.append(Series(f"{arm} -sd", epochs, low, f"dim {colour}"))
            out.append(Series(f"{arm} +sd", epochs, high, f"dim {colour}"))
        out.append(Series(f"{arm} (n={len(runs)})", epochs, mean, colour, marks))
    return out


def run_series(live: SweepLive, arm: str, metric: str) -> list[Series]:
    """Every run of one arm, one colour per seed, each pruning moment at the accuracy after it."""
    out = []
    for i, r in enumerate(r for r in live.runs if r.arm == arm and r.epochs):
        values = getattr(r, metric)
        at = dict(zip(r.epochs, values, strict=False))
        marks = [(float(e), at[e], d) for e, d in r.drops.items() if e in at] if metric == "test_acc" else []
        out.append(
            Series(f"seed {r.seed}", [float(e) for e in r.epochs], values, ARM_COLOURS[i % len(ARM_COLOURS)], marks)
        )
    return out


class ChartsScreen(PollingScreen):
    """`m` switches arms/runs, `[` `]` pick the arm, `t` test/train accuracy."""

    BINDINGS = [
        Binding("m", "mode", "Arms/runs"),
        Binding("left_square_bracket", "arm(-1)", "Prev arm"),
        Binding("right_square_bracket", "arm(1)", "Next arm"),
        Binding("t", "metric", "Test/train"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, sweep_id: str, why: str = "selected") -> None:
        super().__init__()
        self.sweep_id, self.why = sweep_id, why
        self.mode = "arms"
        self.arm_index = 0
        self.metric = "test_acc"
        self.live: SweepLive | None = None

    def compose(self) -> ComposeResult:
        """Legend line above the chart."""
        yield Header()
        yield Static(Text(f"sweep {self.sweep_id} ({self.why}): reading…"), id="chart-legend")
        yield AccuracyChart(id="chart")
        yield Footer()

    def fingerprint(self) -> tuple[object, ...]:
        """Runs, epochs done and statuses of the sweep."""
        return sweep_fingerprint(self.app.db, self.sweep_id)

    def load(self) -> SweepLive:
        """One read of what changed in the sweep."""
        return load_live(self.app.db, self.sweep_id, self.live)

    def failed(self, message: str) -> None:
        """Say it where the chart would be."""
        self.query_one("#chart-legend", Static).update(Text(message, style="red"))

    def show(self, live: SweepLive) -> None:
        """Redraw (the chart skips identical data)."""
        self.live = live
        self.sweep_id = live.sweep_id
        self.sub_title = f"sweep {live.sweep_id} ({self.why})"
        arms = list(dict.fromkeys(r.arm for r in live.runs))
        if not arms:
            self.query_one("#chart-legend", Static).update(Text(f"sweep {live.sweep_id}: no runs yet"))
            return
        self.arm_index %= len(arms)
        metric = "test" if self.metric == "test_acc" else "train"
        if self.mode == "arms":
            series = arm_series(live, self.metric)
            what = f"{metric} accuracy, mean ± sd across seeds per arm"
        else:
            series = run_series(live, arms[self.arm_index], self.metric)
            what = f"{metric} accuracy of every run of {clean(arms[self.arm_index])} ({self.arm_index + 1}/{len(arms)})"
        legend = Text(f"sweep {live.sweep_id} ({self.why}) · {what}\n")
        for s in series:
            if not s.name.endswith("sd"):
                legend.append("━ ", style=s.style).append(f"{clean(s.name)}  ")
        legend.append("▼ prune drop: ").append("≥1 pp ", style="bold red").append("≥0.2 ", style="bold yellow")
        legend.append("<0.2", style="bold magenta")
        self.query_one("#chart-legend", Static).update(legend)
        self.query_one(AccuracyChart).draw(series, y_label="%")

    def action_mode(self) -> None:
        """Arms (means) or runs of one arm."""
        self.mode = "runs" if self.mode == "arms" else "arms"
        self.redraw()

    def action_arm(self, step: int) -> None:
        """The previous or next arm (runs mode)."""
        self.arm_index += step
        self.mode = "runs"
        self.redraw()

    def action_metric(self) -> None:
        """Test or train accuracy."""
        self.metric = "train_acc" if self.metric == "test_acc" else "test_acc"
        self.redraw()

    def redraw(self) -> None:
        """Show the last data in the new view at once."""
        if self.live is not None:
            self.show(self.live)
