"""Line charts of a sweep: per arm (mean ± sd band across seeds) or every run of one arm, pruning moments marked,
the runs marked in the run table overlaid, and an epoch cursor with a readout."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from gst.store.browse import sweep_fingerprint
from gst.tui.app.live import RunLive, SweepLive, load_live
from gst.tui.app.screens.base import SweepScreen
from gst.tui.app.widgets.accuracy_chart import ARM_COLOURS, AccuracyChart, Series, mean_band, readout
from gst.tui.app.widgets.drops import drop_legend
from gst.tui.report.cells import clean

MARKED_COLOURS = ("#ffffff", "#ff87d7", "#87ffaf", "#ffaf5f", "#87afff", "#d7d787")


def arm_series(live: SweepLive, metric: str) -> list[Series]:
    """Per arm: mean line and dim ±sd band lines; markers at the mean drop of every pruning epoch."""
    out: list[Series] = []
    for i, arm in enumerate(dict.fromkeys(r.arm for r in live.runs)):
        runs = [r for r in live.runs if r.arm == arm and r.epochs]
        if not runs:
            continue
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        epochs, test, test_low, test_high = mean_band([(r.epochs, r.test_acc) for r in runs])
        _, train, train_low, train_high = mean_band([(r.epochs, r.train_acc) for r in runs])
        mean, low, high = (test, test_low, test_high) if metric == "test_acc" else (train, train_low, train_high)
        befores: dict[int, list[tuple[float, float]]] = {}
        for r in runs:
            for epoch, drop in r.drops.items():
                before = r.befores.get(epoch)
                if before is not None:
                    befores.setdefault(epoch, []).append((before, before - drop))
        events = {float(e): (sum(b for b, _ in v) / len(v), sum(a for _, a in v) / len(v)) for e, v in befores.items()}
        at = dict(zip(epochs, mean, strict=False))
        marks = [(e, at[e], b - a) for e, (b, a) in events.items() if e in at] if metric == "test_acc" else []
        if len(runs) > 1:
            out.append(Series(f"{arm} -sd", epochs, low, f"dim {colour}", band=True))
            out.append(Series(f"{arm} +sd", epochs, high, f"dim {colour}", band=True))
        out.append(Series(f"{arm} (n={len(runs)})", epochs, mean, colour, marks, test, train, events))
    return out


def one_run(r: RunLive, metric: str, name: str, style: str) -> Series:
    """One run's curve, each pruning moment at the accuracy after it."""
    values = getattr(r, metric)
    epochs = [float(e) for e in r.epochs]
    at = dict(zip(r.epochs, values, strict=False))
    marks = [(float(e), at[e], d) for e, d in r.drops.items() if e in at] if metric == "test_acc" else []
    events = {float(e): (b, b - r.drops[e]) for e, b in r.befores.items() if e in r.drops}
    return Series(name, epochs, values, style, marks, r.test_acc, r.train_acc, events)


def run_series(live: SweepLive, arm: str, metric: str) -> list[Series]:
    """Every run of one arm, one colour per seed."""
    runs = [r for r in live.runs if r.arm == arm and r.epochs]
    return [one_run(r, metric, f"seed {r.seed}", ARM_COLOURS[i % len(ARM_COLOURS)]) for i, r in enumerate(runs)]


def marked_series(live: SweepLive, metric: str, marked: frozenset[str], skip: set[str]) -> list[Series]:
    """The runs marked in the run table (those not already drawn), each in its own bright colour."""
    runs = [r for r in live.runs if r.run_id in marked and r.run_id not in skip and r.epochs]
    return [
        one_run(r, metric, f"● {r.arm}/{r.seed}", MARKED_COLOURS[i % len(MARKED_COLOURS)]) for i, r in enumerate(runs)
    ]


def fitted(parts: list[Text], width: int, sep: str = "  ") -> Text:
    """The parts on one line of `width`; those that do not fit are counted (`+2 more`) instead of wrapping."""
    line = Text()
    for i, part in enumerate(parts):
        left = len(parts) - i - 1
        tail = len(f"{sep}+{left} more") if left else 0
        if i and line.cell_len + len(sep) + part.cell_len + tail > width:
            return line.append(f"{sep}+{len(parts) - i} more", style="dim")
        if i:
            line.append(sep)
        line.append_text(part)
    line.truncate(width, overflow="ellipsis")
    return line


class ChartsScreen(SweepScreen):
    """`m` switches arms/runs, `[` `]` pick the arm, `t` test/train, ←/→ (or a click) move the epoch cursor."""

    BINDINGS = [
        Binding("m", "mode", "Arms/runs"),
        Binding("left_square_bracket", "arm(-1)", "Prev arm"),
        Binding("right_square_bracket", "arm(1)", "Next arm"),
        Binding("t", "metric", "Test/train"),
        Binding("left", "cursor(-1)", "Epoch ←"),
        Binding("right", "cursor(1)", "Epoch →"),
        Binding("shift+left", "cursor(-10)", "10 epochs ←", show=False),
        Binding("shift+right", "cursor(10)", "10 epochs →", show=False),
        Binding("escape", "app.back", "Back"),
    ]

    def __init__(self, sweep_id: str, why: str = "selected") -> None:
        super().__init__(sweep_id, why)
        self.mode = "arms"
        self.arm_index = 0
        self.metric = "test_acc"
        self.live: SweepLive | None = None

    def compose(self) -> ComposeResult:
        """Legend lines above the chart, the cursor's readout below it."""
        yield Header()
        yield Static(Text(f"sweep {self.sweep_id} ({self.why}): reading…"), id="chart-legend")
        yield AccuracyChart(id="chart")
        yield Static(id="chart-readout")
        yield Footer()

    def fingerprint(self) -> tuple[object, ...]:
        """Runs, epochs done and statuses of the sweep."""
        return sweep_fingerprint(self.app.db, self.sweep_id)

    def load(self) -> SweepLive:
        """One read of what changed in the sweep."""
        return load_live(self.app.db, self.sweep_id, self.live)

    def forget(self) -> None:
        """Another sweep: nothing of the old one stays."""
        self.live = None
        self.query_one(AccuracyChart).cursor = None
        self.query_one("#chart-readout", Static).update("")
        self.query_one("#chart-legend", Static).update(Text(f"sweep {self.sweep_id} ({self.why}): reading…"))

    def failed(self, message: str) -> None:
        """Say it where the chart would be."""
        self.query_one("#chart-legend", Static).update(Text(message, style="red"))

    def on_screen_resume(self) -> None:
        """Shown again: runs marked meanwhile are overlaid at once."""
        super().on_screen_resume()
        self.redraw()

    def show(self, live: SweepLive) -> None:
        """Redraw (the chart skips identical data)."""
        if self.sweep_id not in (live.sweep_id, "latest"):
            return  # read before the screen moved to another sweep
        self.live = live
        self.sweep_id, self.resolved = live.sweep_id, True
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
        sweep_id, marked = self.app.marked
        shown = {r.run_id for r in live.runs if self.mode == "runs" and r.arm == arms[self.arm_index]}
        series += marked_series(live, self.metric, marked if sweep_id == live.sweep_id else frozenset(), shown)
        self.show_legend(live, what, series)
        self.query_one(AccuracyChart).draw(series, y_label="%")
        self.show_readout()

    def show_legend(self, live: SweepLive, what: str, series: list[Series]) -> None:
        """Three lines that never wrap: what is drawn, the curves, the drop classes and the cursor keys."""
        width = max(20, self.size.width - 2)
        head = fitted([Text(f"sweep {clean(live.sweep_id)} ({self.why})"), Text(what)], width, " · ")
        curves = fitted([Text.assemble(("━ ", s.style), clean(s.name)) for s in series if not s.band], width)
        keys = drop_legend("").append("  ←/→ epoch cursor", style="dim")
        self.query_one("#chart-legend", Static).update(Text("\n").join([head, curves, fitted([keys], width)]))

    def show_readout(self) -> None:
        """Test and train at the cursor's epoch for every curve; nothing until the cursor is used."""
        chart = self.query_one(AccuracyChart)
        box = self.query_one("#chart-readout", Static)
        box.update(readout(chart.series, chart.cursor) if chart.cursor is not None else "")
        box.display = chart.cursor is not None

    @on(AccuracyChart.CursorMoved)
    def cursor_moved(self) -> None:
        """Read out the new epoch."""
        self.show_readout()

    def action_cursor(self, step: int) -> None:
        """Move the epoch cursor."""
        self.query_one(AccuracyChart).move_cursor(step)

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

    def on_resize(self) -> None:
        """The legend lines are fitted to the width."""
        self.redraw()
