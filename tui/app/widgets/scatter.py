"""Instability (x) against accuracy (y): every run as a dot, each arm's mean with its 95% CIs, the fit line."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual_plot import HiResMode, PlotWidget

if TYPE_CHECKING:
    from gst.engine.analysis.sweep_stats import Interval
from gst.tui.app.widgets.accuracy_chart import ARM_COLOURS


@dataclass(frozen=True, slots=True)
class ArmPoint:
    """An arm's mean instability and accuracy with their confidence intervals."""

    arm: str
    x: Interval
    y: Interval


def nice_ticks(low: float, high: float, slots: int) -> list[float]:
    """At most `slots` ticks on a round step (1, 2 or 5 times a power of ten) between low and high."""
    span = high - low
    if span <= 0 or slots < 1:
        return [low]
    step = 10 ** math.floor(math.log10(span / slots))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= slots:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


def half_width(ci: Interval) -> float:
    """The wider side of a (possibly asymmetric bootstrap) interval: the plot's error bars are symmetric."""
    return max(ci.mean - ci.low, ci.high - ci.mean)


class ScatterPlot(PlotWidget):
    """Fills the space it is given; redraws only when the points change."""

    DEFAULT_CSS = "ScatterPlot { height: 1fr; min-height: 10; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_pan_and_zoom=False, **kwargs)  # type: ignore[arg-type]  # Widget's own keywords, passed through
        self.can_focus = False
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.drawn: object = None

    def on_mount(self) -> None:
        """Margins for tick labels only."""
        super().on_mount()
        self.margin_top, self.margin_bottom, self.margin_left = 0, 1, 7

    def set_points(
        self,
        series: dict[str, list[tuple[float, float]]],
        arms: list[ArmPoint] | None = None,
        fit: tuple[float, float] | None = None,
    ) -> None:
        """Per-arm run points, arm means with CIs (as error bars) and the least-squares line (slope, intercept)."""
        key = (series, arms, fit)
        if key == self.drawn:
            return
        self.drawn, self.series = key, series
        self.clear()
        xs = [x for pts in series.values() for x, _ in pts]
        colours = {name: ARM_COLOURS[i % len(ARM_COLOURS)] for i, name in enumerate(series)}
        if fit is not None and xs:
            x0, x1 = min(xs), max(xs)
            self.plot([x0, x1], [fit[0] * x0 + fit[1], fit[0] * x1 + fit[1]], line_style="dim white",
                      hires_mode=HiResMode.BRAILLE)  # fmt: skip
        for name, pts in series.items():
            if pts:
                self.scatter([p[0] for p in pts], [p[1] for p in pts], marker="·", marker_style=colours[name])
        self.set_x_ticks_for(xs + [a.x.mean + s * half_width(a.x) for a in arms or [] for s in (-1, 1)])
        for arm in arms or []:
            self.errorbar(
                [arm.x.mean],
                [arm.y.mean],
                xerr=[half_width(arm.x)],
                yerr=[half_width(arm.y)],
                marker="◆",
                marker_style=f"bold {colours.get(arm.arm, 'white')}",
            )

    def set_x_ticks_for(self, xs: list[float]) -> None:
        """Round x ticks over the points' range, as many as the width holds labels for (auto ticks left the
        x-axis without numbers on narrow plots)."""
        if not xs:
            self.set_xticks(None)
            return
        low, high = min(xs), max(xs)
        pad = max((high - low) * 0.05, 1e-3)
        self.set_xlimits(low - pad, high + pad)
        self.set_xticks(nice_ticks(low - pad, high + pad, max(2, (self.size.width - 8) // 9)))
