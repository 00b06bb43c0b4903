"""Accuracy line charts (textual-plot): auto-scaled y axis, integer epoch ticks, every pruning moment marked.

textual-plot was chosen over textual-plotext by measurement (README, TUI): at 80x24 both render cleanly, but
its redraw of four 325-epoch curves takes 20 ms against 32 ms (38 ms against 67 ms at 160x48), and its
ticks fall on round numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual import events
from textual.message import Message
from textual_plot import HiResMode, PlotWidget

from gst.tui.app.widgets.drops import DROP_CLASSES, drop_text
from gst.tui.report.cells import clean

# explicit colours: the default terminal theme paints the named red and magenta alike, so two arms looked the same;
# none is a drop class's colour (drops.py), so a marker never hides in a line
ARM_COLOURS = ("#87d75f", "#5f87ff", "#ff8700", "#ff87af", "#00af87", "#d0d0d0", "#afaf5f", "#af87ff", "#af875f")
CURSOR_STYLE = "#a0a0a0"


@dataclass
class Series:
    """One line: its name, x (epochs), y (accuracy %), style, and the pruning moments (epoch, accuracy, drop pp).

    `test` and `train` (per epoch, when known) and `events` (epoch -> accuracy before, after) feed the cursor's
    readout; a `band` line (mean ± sd) is drawn but not read out.
    """

    name: str
    epochs: list[float]
    values: list[float]
    style: str
    marks: list[tuple[float, float, float]] = field(default_factory=list)
    test: list[float] | None = None
    train: list[float] | None = None
    events: dict[float, tuple[float, float]] = field(default_factory=dict)
    band: bool = False


def readout(series: Sequence[Series], epoch: float) -> Table:
    """At the cursor's epoch: test and train accuracy of every curve, and a pruning moment's before → after, drop."""
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column(f"epoch {epoch:g}", no_wrap=True, overflow="ellipsis", max_width=28)
    table.add_column("test %", justify="right")
    table.add_column("train %", justify="right")
    table.add_column("pruning: before → after, drop", no_wrap=True, overflow="ellipsis")
    for s in series:
        if s.band or epoch not in s.epochs:
            continue
        i = s.epochs.index(epoch)
        test = s.test[i] if s.test is not None else None
        train = s.train[i] if s.train is not None else None
        event = Text("")
        if epoch in s.events:
            before, after = s.events[epoch]
            event = Text(f"{before:.2f} → {after:.2f} ").append_text(drop_text(before - after))
        table.add_row(
            Text.assemble(("━ ", s.style), clean(s.name)),
            "-" if test is None else f"{test:.2f}",
            "-" if train is None else f"{train:.2f}",
            event,
        )
    return table


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
    """Lines with pruning markers by drop class, and an epoch cursor (keys via `move_cursor`, or a click) that
    posts `CursorMoved`; redraws only when the data, the epoch window or the cursor change."""

    DEFAULT_CSS = "AccuracyChart { height: 1fr; min-height: 8; }"

    class CursorMoved(Message):
        """The epoch cursor moved to `epoch`."""

        def __init__(self, chart: AccuracyChart, epoch: float) -> None:
            super().__init__()
            self.chart, self.epoch = chart, epoch

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_pan_and_zoom=False, **kwargs)  # type: ignore[arg-type]  # Widget's own keywords, passed through
        self.can_focus = False  # screen keys (zoom, pan, cursor) stay the screen's
        self.drawn: object = None
        self.series: list[Series] = []
        self.window: tuple[float, float] | None = None
        self.y_label = ""
        self.cursor: float | None = None

    def on_mount(self) -> None:
        """Tighter margins than the widget's defaults, so small terminals keep the plot."""
        super().on_mount()
        self.margin_top, self.margin_bottom, self.margin_left = 0, 1, 7

    def epochs(self) -> list[float]:
        """Every epoch of a curve inside the window, in order: the places the cursor can stop."""
        lo, hi = self.window or (-math.inf, math.inf)
        return sorted({e for s in self.series if not s.band for e in s.epochs if lo <= e <= hi})

    def move_cursor(self, step: int) -> None:
        """Move the cursor `step` epochs (the first press starts at the last epoch going left, the first going right)."""
        stops = self.epochs()
        if not stops:
            return
        if self.cursor is None or self.cursor not in stops:
            at = len(stops) - 1 if step < 0 else 0
        else:
            at = min(len(stops) - 1, max(0, stops.index(self.cursor) + step))
        self.set_cursor(stops[at])

    def set_cursor(self, epoch: float | None) -> None:
        """Put the cursor on the nearest epoch of a curve (None: no cursor) and tell the screen."""
        stops = self.epochs()
        self.cursor = min(stops, key=lambda e: abs(e - epoch)) if stops and epoch is not None else None
        self.draw(self.series, self.window, self.y_label)
        if self.cursor is not None:
            self.post_message(self.CursorMoved(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        """A click on the plot puts the cursor on the epoch under the mouse."""
        x = event.screen_x - self.content_region.x - self.margin_left
        if x >= 0 and self.series:
            self.set_cursor(self.get_coordinate_from_pixel(x, 0)[0])

    def draw(self, series: Sequence[Series], window: tuple[float, float] | None = None, y_label: str = "") -> None:
        """Replace the lines; `window` limits the epochs shown (zoom)."""
        self.series, self.window, self.y_label = list(series), window, y_label
        if self.cursor is not None and self.cursor not in self.epochs():
            self.cursor = None  # outside the new window or data
        key = ([(s.name, s.epochs, s.values, s.style, s.marks) for s in series], window, self.size.width, self.cursor)
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
        for kind in DROP_CLASSES:
            points = [(e, a) for s in series for e, a, d in s.marks if kind.low <= d < kind.high]
            if points:
                self.scatter([p[0] for p in points], [p[1] for p in points], marker=kind.glyph, marker_style=kind.style)
        if self.cursor is not None:
            self.add_v_line(self.cursor, CURSOR_STYLE)
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
