"""A query's rows as CSV or JSON text, produced chunk by chunk so that output starts at once and memory stays flat.

Values are data from the database: strings lose their control and bidirectional-format characters (as in tables,
`gst.tui.report.cells.clean`), in lists and structs too.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

from gst.tui.report.cells import clean

Chunk = list[tuple[Any, ...]]


def cleaned(value: Any) -> Any:
    """`value` with every string in it cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list | tuple):
        return [cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean(str(k)): cleaned(v) for k, v in value.items()}
    return value


def csv_text(columns: list[str], chunks: Iterable[Chunk]) -> Iterator[str]:
    """The header line, then one piece of CSV text per chunk."""
    yield _csv([[clean(c) for c in columns]])
    for chunk in chunks:
        yield _csv([[cleaned(v) for v in row] for row in chunk])


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


_FLAT = json.JSONEncoder(default=str)  # no indent: the C encoder
_STRING = json.encoder.encode_basestring_ascii  # what both encoders write for a string


def _json_value(value: Any) -> str:
    """A value as `json.dumps(..., indent=2)` writes it at the depth of a row's fields (lists and structs spread)."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is str:
        return _STRING(clean(value))
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if isinstance(value, list | tuple | dict) and value:
        return json.dumps(cleaned(value), default=str, indent=2).replace("\n", "\n    ")
    return _FLAT.encode(cleaned(value))


def json_text(columns: list[str], chunks: Iterable[Chunk]) -> Iterator[str]:
    """A JSON list of one object per row, exactly as `json.dumps(rows, default=str, indent=2)` writes it, one piece
    per chunk (written field by field: the indenting encoder is pure Python and four times slower)."""
    keys = [f"    {_FLAT.encode(clean(c))}: " for c in columns]
    first = True
    for chunk in chunks:
        pieces = []
        for row in chunk:
            fields = ",\n".join(key + _json_value(v) for key, v in zip(keys, row, strict=True))
            pieces.append(("[\n" if first else ",\n") + ("  {\n" + fields + "\n  }" if keys else "  {}"))
            first = False
        if pieces:
            yield "".join(pieces)
    yield "[]\n" if first else "\n]\n"


def limited(chunks: Iterable[Chunk], limit: int | None, left: list[int]) -> Iterator[Chunk]:
    """The first `limit` rows (None: all) of `chunks`; the rows after them are counted into `left[0]`."""
    taken = 0
    for chunk in chunks:
        if limit is None or taken + len(chunk) <= limit:
            taken += len(chunk)
            yield chunk
            continue
        if taken < limit:
            yield chunk[: limit - taken]
        left[0] += len(chunk) - max(0, limit - taken)
        taken = limit
