"""Instability (x) against accuracy (y): every run as a dot, each arm's mean with its 95% CIs, the fit line."""

from __future__ import annotations

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
        for arm in arms or []:
            self.errorbar(
                [arm.x.mean],
                [arm.y.mean],
                xerr=[half_width(arm.x)],
                yerr=[half_width(arm.y)],
                marker="◆",
                marker_style=f"bold {colours.get(arm.arm, 'white')}",
            )
