"""Accuracy line charts (textual-plot): auto-scaled y axis, integer epoch ticks, every pruning moment marked.

textual-plot was chosen over textual-plotext by measurement (README, TUI): at 80x24 both render cleanly, but
its redraw of four 325-epoch curves takes 20 ms against 32 ms (38 ms against 67 ms at 160x48), and its
ticks fall on round numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from textual_plot import HiResMode, PlotWidget

ARM_COLOURS = ("green", "cyan", "yellow", "magenta", "blue", "red", "bright_green", "bright_cyan", "white")
DROP_CLASSES = ((1.0, math.inf, "bold red"), (0.2, 1.0, "bold yellow"), (-math.inf, 0.2, "bold magenta"))


@dataclass
class Series:
    """One line: its name, x (epochs), y (accuracy %), style, and the pruning moments (epoch, accuracy, drop pp)."""

    name: str
    epochs: list[float]
    values: list[float]
    style: str
    marks: list[tuple[float, float, float]] = field(default_factory=list)


def epoch_ticks(low: float, high: float, slots: int) -> list[float]:
    """At most `slots` integer ticks on a round step (1, 2, 5, 10, 20, 50, ...) between low and high."""
    span = max(1.0, high - low)
    step = 1
    while span / step > max(1, slots):
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if span / step <= max(1, slots):
                break
    first = math.ceil(low / step) * step
    return [float(t) for t in range(int(first), int(high) + 1, step)]


class AccuracyChart(PlotWidget):
    """Lines with pruning markers coloured by drop; redraws only when the data or the epoch window change."""

    DEFAULT_CSS = "AccuracyChart { height: 1fr; min-height: 8; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_pan_and_zoom=False, **kwargs)  # type: ignore[arg-type]  # Widget's own keywords, passed through
        self.can_focus = False  # screen keys (zoom, pan) stay the screen's
        self.drawn: object = None

    def on_mount(self) -> None:
        """Tighter margins than the widget's defaults, so small terminals keep the plot."""
        super().on_mount()
        self.margin_top, self.margin_bottom, self.margin_left = 0, 1, 7

    def draw(self, series: Sequence[Series], window: tuple[float, float] | None = None, y_label: str = "") -> None:
        """Replace the lines; `window` limits the epochs shown (zoom)."""
        key = ([(s.name, s.epochs, s.values, s.style, s.marks) for s in series], window, self.size.width)
        if key == self.drawn:
            return
        self.drawn = key
        self.clear()
        lo = window[0] if window else None
        hi = window[1] if window else None
        visible = [
            (e, v)
            for s in series
            for e, v in zip(s.epochs, s.values, strict=False)
            if (lo is None or e >= lo) and (hi is None or e <= hi)
        ]
        for s in series:
            self.plot(s.epochs, s.values, line_style=s.style, hires_mode=HiResMode.BRAILLE)
        for low, high, style in DROP_CLASSES:
            points = [(e, a) for s in series for e, a, d in s.marks if low <= d < high]
            if points:
                self.scatter([p[0] for p in points], [p[1] for p in points], marker="▼", marker_style=style)
        xs = [e for e, _ in visible] or [0.0, 1.0]
        ys = [v for _, v in visible] or [0.0, 100.0]
        pad = max(0.2, (max(ys) - min(ys)) * 0.05)
        x0, x1 = lo if lo is not None else min(xs), hi if hi is not None else max(xs)
        self.set_xlimits(x0, max(x1, x0 + 1))
        self.set_ylimits(min(ys) - pad, max(ys) + pad)
        self.set_xticks(epoch_ticks(x0, max(x1, x0 + 1), max(2, (self.size.width - 8) // 8)))
        self.set_ylabel(y_label)


def mean_band(
    curves: Sequence[tuple[list[int], list[float]]],
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Epochs, mean, mean - sd and mean + sd across seeds, over the epochs every curve has reached."""
    if not curves:
        return [], [], [], []
    common = sorted(set.intersection(*(set(e) for e, _ in curves)))
    by_epoch = [dict(zip(e, v, strict=False)) for e, v in curves]
    epochs, mean, low, high = [], [], [], []
    for epoch in common:
        values = [c[epoch] for c in by_epoch]
        m = sum(values) / len(values)
        sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
        epochs.append(float(epoch))
        mean.append(m)
        low.append(m - sd)
        high.append(m + sd)
    return epochs, mean, low, high
