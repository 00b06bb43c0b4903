"""Sparklines: a curve scaled to its own range, stretched onto a fixed width, pruning moments marked by class."""

from __future__ import annotations

from rich.text import Text

from gst.tui.app.widgets.drops import drop_class

BLOCKS = "▁▂▃▄▅▆▇█"


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
    """Values stretched or squeezed onto exactly `width` columns; a column holding pruning moments shows the glyph
    of the largest drop in it, in that class's colour (so no moment vanishes, however small its drop). Stretched,
    an epoch spans several columns and only the first shows its glyph."""
    text = Text()
    if not values or width <= 0:
        return text
    n = len(values)
    span = max(high - low, 1e-9)
    for c in range(width):
        start = c * n // width
        stop = max(start + 1, (c + 1) * n // width)
        first = (c - 1) * n // width if c else -1  # the previous column's epoch: its glyph is drawn already
        drops = [marks[i] for i in range(start, stop) if marks and i in marks and i > first]
        if drops:
            kind = drop_class(max(drops))
            text.append(kind.glyph, style=kind.style)
            continue
        bucket = values[start:stop]
        level = (sum(bucket) / len(bucket) - low) / span
        text.append(BLOCKS[min(len(BLOCKS) - 1, max(0, int(level * (len(BLOCKS) - 1) + 0.5)))], style=style)
    return text
