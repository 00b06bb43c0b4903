"""A one-line accuracy curve per run, with pruning epochs marked in red."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(
    values: list[float], width: int, low: float, high: float, marks: set[int] | None = None, style: str = "green"
) -> Text:
    """Values squeezed into `width` columns (bucket means); columns holding a marked index are red."""
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
        marked = marks is not None and any(i in marks for i in range(start, stop))
        text.append(char, style="bold red" if marked else style)
    return text


class CurveStrip(Widget):
    """Run label, test-accuracy sparkline (pruning epochs red), train-accuracy sparkline and last values."""

    DEFAULT_CSS = "CurveStrip { height: 2; }"

    def __init__(self, label: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.label = label
        self.test: list[float] = []
        self.train: list[float] = []
        self.marks: set[int] = set()
        self.status = ""

    def update_curves(self, test: list[float], train: list[float], prune_positions: set[int], status: str) -> None:
        """New data; redraws only when something changed."""
        if (test, train, prune_positions, status) != (self.test, self.train, self.marks, self.status):
            self.test, self.train, self.marks, self.status = test, train, prune_positions, status
            self.refresh()

    def render(self) -> Text:
        """Two lines: test curve with the latest value, train curve below."""
        width = max(10, self.size.width - 34)
        label = f"{self.label[:20]:<20} "
        last = f" {self.test[-1]:6.2f}% {self.status[:5]:<5}" if self.test else f" {'':7} {self.status[:5]:<5}"
        line = Text(label) + sparkline(self.test, width, 0.0, 100.0, self.marks) + Text(last)
        train = (
            Text(" " * 21)
            + sparkline(self.train, width, 0.0, 100.0, style="blue dim")
            + Text(f" {self.train[-1]:6.2f}% train" if self.train else "")
        )
        return line + Text("\n") + train
