"""The four classes of a pruning moment's accuracy drop, each with its own colour and glyph.

Named ANSI colours are not enough: Textual's default terminal theme (Monokai) paints red and magenta the same
#f4005f, so a 0.02 pp drop looked like a 4 pp one. The colours here are explicit and stay distinct when Rich
brings them down to 256 colours (203, 220, 45, 171) and to 16 (bright red, yellow, cyan, magenta); the glyph
tells the classes apart without any colour (NO_COLOR, a monochrome terminal, a printout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text


@dataclass(frozen=True, slots=True)
class DropClass:
    """Drops in [low, high) percentage points: how they are named, coloured and drawn."""

    name: str
    low: float
    high: float
    colour: str
    glyph: str

    @property
    def style(self) -> str:
        """The Rich style of a mark of this class."""
        return f"bold {self.colour}"


DROP_CLASSES = (
    DropClass("≥1 pp", 1.0, math.inf, "#ff3030", "▼"),
    DropClass("≥0.2", 0.2, 1.0, "#ffd700", "▽"),
    DropClass("<0.2", 0.0, 0.2, "#00d7ff", "·"),
    DropClass("gain", -math.inf, 0.0, "#d75fff", "▲"),
)


def drop_class(drop: float) -> DropClass:
    """The class of a drop in pp (negative: the accuracy rose)."""
    return next(c for c in DROP_CLASSES if c.low <= drop < c.high)


def drop_style(drop: float) -> str:
    """Style of a pruning moment by its drop."""
    return drop_class(drop).style


def drop_text(drop: float, digits: int = 2) -> Text:
    """The drop as a glyph and its value, styled by class (the glyph keeps the class without colour)."""
    c = drop_class(drop)
    return Text(f"{c.glyph} {drop:.{digits}f}", style=c.style)


def drop_legend(prefix: str = "prune drop: ") -> Text:
    """`prune drop: ▼ ≥1 pp ▽ ≥0.2 · <0.2 ▲ gain`, each class in its own style."""
    text = Text(prefix)
    for c in DROP_CLASSES:
        text.append(f"{c.glyph} {c.name}", style=c.style).append(" ")
    text.rstrip()
    return text
