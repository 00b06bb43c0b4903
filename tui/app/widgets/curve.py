"""A compact accuracy row per run: sparklines scaled to the run's own range, filling the width, pruning moments marked."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

BLOCKS = "▁▂▃▄▅▆▇█"
STATUS = {"completed": "✓", "running": "▶", "queued": "…", "failed": "✗", "interrupted": "⏸", "diverged": "↯"}
LABEL_WIDTH = 12
VALUE_WIDTH = 26  # ' 100.00 train 43.3-100.0'


def drop_style(drop: float) -> str:
    """Colour of a pruning moment by its accuracy drop: red >= 1 pp, yellow >= 0.2 pp, magenta below (or a gain)."""
    if drop >= 1.0:
        return "bold red"
    if drop >= 0.2:
        return "bold yellow"
    return "bold magenta"


def value_range(values: list[float]) -> tuple[float, float]:
    """The range a sparkline is scaled to: min and max of the values (a flat curve gets a 1 pp window)."""
    low, high = min(values), max(values)
    return (low - 0.5, high + 0.5) if high - low < 1e-9 else (low, high)


def sparkline(
    values: list[float],
    width: int,
    low: float,
    high: float,
    marks: dict[int, float] | None = None,
    style: str = "green",
) -> Text:
    """Values stretched or squeezed onto exactly `width` columns; every column holding a pruning moment is coloured
    by the largest drop in it (so no moment vanishes, however small its drop)."""
    text = Text()
    if not values or width <= 0:
        return text
    n = len(values)
    span = max(high - low, 1e-9)
    for c in range(width):
        start = c * n // width
        stop = max(start + 1, (c + 1) * n // width)
        bucket = values[start:stop]
        level = (sum(bucket) / len(bucket) - low) / span
        char = BLOCKS[min(len(BLOCKS) - 1, max(0, int(level * (len(BLOCKS) - 1) + 0.5)))]
        drops = [marks[i] for i in range(start, stop) if marks and i in marks]
        text.append(char, style=drop_style(max(drops)) if drops else style)
    return text


class CurveStrip(Widget):
    """Two lines: run label and test sparkline with its last value and range, train sparkline below."""

    DEFAULT_CSS = "CurveStrip { height: 2; text-wrap: nowrap; text-overflow: clip; }"

    def __init__(self, label: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # Widget's own keywords, passed through
        self.label = label
        self.test: list[float] = []
        self.train: list[float] = []
        self.marks: dict[int, float] = {}
        self.status = ""

    def update_curves(
        self, test: list[float], train: list[float], prune_positions: dict[int, float], status: str
    ) -> None:
        """New data (pruning drops by curve index); redraws only when something changed."""
        if (test, train, prune_positions, status) != (self.test, self.train, self.marks, self.status):
            self.test, self.train, self.marks, self.status = test, train, prune_positions, status
            self.refresh()

    def render(self) -> Text:
        """Each curve scaled to its own min..max, so a 0.1 pp drop is as visible as the run's whole range allows."""
        width = max(10, self.size.width - LABEL_WIDTH - VALUE_WIDTH)
        label = Text(f"{self.label[: LABEL_WIDTH - 2]:<{LABEL_WIDTH - 2}}{STATUS.get(self.status, '?')} ")
        lines = [label, Text(" " * LABEL_WIDTH)]
        for line, values, style, name in ((0, self.test, "green", "test"), (1, self.train, "blue", "train")):
            if not values:
                lines[line].append("waiting for the first epoch" if line == 0 else "", style="dim")
                continue
            low, high = value_range(values)
            lines[line].append_text(sparkline(values, width, low, high, self.marks if line == 0 else None, style))
            lines[line].append(f" {values[-1]:6.2f} {name:<5}")
            lines[line].append(f" {low:.1f}-{high:.1f}", style="dim")
        return Text("\n").join(lines)
