"""A text scatter plot: per-run instability (x) against accuracy (y), one letter and colour per arm."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

COLOURS = ("red", "green", "yellow", "blue", "magenta", "cyan", "bright_red", "bright_green", "bright_blue", "white")


class ScatterPlot(Widget):
    """Points grouped by series; axes show the value ranges."""

    DEFAULT_CSS = "ScatterPlot { height: 16; text-wrap: nowrap; text-overflow: clip; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.x_label, self.y_label = "x", "y"

    def set_points(self, series: dict[str, list[tuple[float, float]]], x_label: str, y_label: str) -> None:
        """Replace the plotted points."""
        self.series, self.x_label, self.y_label = series, x_label, y_label
        self.refresh()

    def render(self) -> Text:
        """The grid, the axis ranges and a legend."""
        points = [p for pts in self.series.values() for p in pts]
        if not points:
            return Text("no completed pruned runs yet", style="dim")
        width, height = max(20, self.size.width - 12), max(4, self.size.height - 3)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        grid: list[list[tuple[str, str]]] = [[("\u00a0", "")] * width for _ in range(height)]
        for i, pts in enumerate(self.series.values()):
            mark = (chr(ord("A") + i % 26), COLOURS[i % len(COLOURS)])
            for x, y in pts:
                col = int((x - x0) / ((x1 - x0) or 1) * (width - 1))
                row = height - 1 - int((y - y0) / ((y1 - y0) or 1) * (height - 1))
                grid[row][col] = mark
        text = Text(no_wrap=True, overflow="crop")
        pad = "\u00a0"  # non-breaking: text layout must not collapse the plot's spacing
        for r, row in enumerate(grid):
            label = f"{y1:7.2f} │" if r == 0 else f"{y0:7.2f} │" if r == height - 1 else " " * 8 + "│"
            text.append(label.replace(" ", pad))
            for char, style in row:
                text.append(char, style=style)
            text.append("\n")
        text.append(pad * 8 + "└" + "─" * width + "\n")
        text.append(
            (" " * 9 + f"{x0:.2f}{self.x_label:^{max(1, width - 12)}}{x1:.2f}").replace(" ", pad) + "\n", style="dim"
        )
        legend = "  ".join(f"{chr(ord('A') + i % 26)}={name}" for i, name in enumerate(self.series))
        text.append(f"{self.y_label} vs {self.x_label}   {legend}", style="dim")
        return text
