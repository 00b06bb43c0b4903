"""A one-line accuracy curve per run, with pruning moments coloured by the accuracy drop they caused."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

BLOCKS = "▁▂▃▄▅▆▇█"


STATUS = {"completed": "✓", "running": "▶", "queued": "…", "failed": "✗", "interrupted": "⏸"}


def drop_style(drop: float) -> str | None:
    """Colour of a column holding a pruning event: red for a big accuracy drop, yellow for a small one."""
    if drop >= 1.0:
        return "bold red"
    if drop >= 0.2:
        return "yellow"
    return None


def sparkline(
    values: list[float],
    width: int,
    low: float,
    high: float,
    marks: dict[int, float] | None = None,
    style: str = "green",
) -> Text:
    """Values squeezed into `width` columns (bucket means); columns with pruning drops coloured by the largest."""
    text = Text()
    if not values or width <= 0:
        return text
    n = len(values)
    columns = min(width, n)
    span = max(high - low, 1e-9)
    for c in range(columns):
        start, stop = c * n // columns, max(c * n // columns + 1, (c + 1) * n // columns)
        bucket = values[start:stop]
        level = (sum(bucket) / len(bucket) - low) / span
        char = BLOCKS[min(len(BLOCKS) - 1, max(0, int(level * (len(BLOCKS) - 1) + 0.5)))]
        drops = [marks[i] for i in range(start, stop) if marks and i in marks]
        text.append(char, style=(drop_style(max(drops)) if drops else None) or style)
    return text


class CurveStrip(Widget):
    """Run label, test-accuracy sparkline (pruning epochs red), train-accuracy sparkline and last values."""

    DEFAULT_CSS = "CurveStrip { height: 2; text-wrap: nowrap; text-overflow: clip; }"

    def __init__(self, label: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
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
        """Two lines: test curve with the latest value, train curve below."""
        width = max(10, self.size.width - 36)
        label = f"{self.label[:18]:<18} {STATUS.get(self.status, '?')} "
        last = f" {self.test[-1]:6.2f}% test" if self.test else ""
        line = Text(label) + sparkline(self.test, width, 0.0, 100.0, self.marks) + Text(last)
        train = (
            Text(" " * 21)
            + sparkline(self.train, width, 0.0, 100.0, style="blue dim")
            + Text(f" {self.train[-1]:6.2f}% train" if self.train else "")
        )
        return line + Text("\n") + train
