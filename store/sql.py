"""The store's one helper for running a parameterised query; private to gst.store (the UI calls named reads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from gst.store.db import reading

Row = dict[str, Any]


def dicts(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    """Rows of one query on an open connection, as dicts."""
    cur = conn.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def fetch(db: Path, sql: str, params: list[Any] | None = None) -> list[Row]:
    """Rows of one parameterised query as dicts, on a short read-only connection."""
    with reading(db) as conn:
        return dicts(conn, sql, params)
