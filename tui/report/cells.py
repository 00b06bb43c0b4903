"""Text for terminal output: numbers people can read, and strings that cannot restyle or reorder the screen.

Names, titles and query results come from users' files and SQL. Printed as Rich markup, `[red]` would
vanish and `:x:` become an emoji; a NUL or a right-to-left override would garble the line. Cells are
therefore plain `Text` with control and format characters removed.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rich.text import Text

TITLE_CHARS = 120  # longest title printed whole; the rest is cut with an ellipsis


def clean(text: str) -> str:
    """`text` without control or bidirectional-format characters (tabs and newlines become spaces)."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(ch)
    return "".join(out)


def cap(text: str, limit: int = TITLE_CHARS) -> str:
    """`text` cleaned and cut to `limit` characters."""
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: float, digits: int = 2) -> str:
    """Fixed `digits` decimals, short scientific (`1e-3`) for small magnitudes, thousands separators for big ones."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value != 0 and abs(value) < 10**-digits:
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa.removesuffix('.0')}e{int(exponent)}"
    if abs(value) >= 1e6:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def fmt(value: Any, digits: int = 2) -> str:
    """A value as cell text: rounded numbers, None as a dash, cleaned strings."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return number(value, digits)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 100_000 else str(value)
    return clean(str(value))


def exact(value: Any) -> str:
    """A value as cell text at full precision: floats as the shortest text that reads back as the same number
    (`0.001`, `1.6e-11`, `72.34567`); everything else as `fmt` writes it (None as a dash, cleaned strings)."""
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return repr(value)
    return fmt(value)


def cell(value: Any, digits: int = 2) -> Text:
    """A table cell that Rich prints literally (no markup, no emoji codes)."""
    return Text(fmt(value, digits))
