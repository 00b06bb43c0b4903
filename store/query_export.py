"""A user's query result written to a CSV or Parquet file they named (the TUI's SQL screen exports this way).

The user's SQL runs only in the read-only sandbox (`gst.store.sandbox`), exactly as `gst query` runs it; the
rows it returned are then written by gst itself: CSV with Python's csv module, Parquet through a private
in-memory DuckDB connection that holds nothing but those rows. Neither sees the user's SQL, so the export
can write the one file named and nothing else. The file appears whole or not at all (written beside it
under a temporary name, then renamed), and an existing file is replaced only when asked.
"""

from __future__ import annotations

import contextlib
import csv
import os
from pathlib import Path

import duckdb

from gst.engine.spec.errors import StoreError
from gst.store.sandbox import QueryResult, run_typed_query

FORMATS = {".csv": "csv", ".parquet": "parquet"}
ROWS_PER_STATEMENT = 500


def export_format(path: Path) -> str:
    """'csv' or 'parquet' from the file's extension; StoreError naming the allowed ones otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise StoreError(f"{path}: name a .csv or .parquet file (the extension picks the format)")
    return fmt


def export_query(db: Path, sql: str, path: Path, *, replace: bool = False, timeout: float | None = None) -> int:
    """Run `sql` in the sandbox and write its rows to `path` (.csv or .parquet); returns the number of rows.

    StoreError when the query fails or is refused, when `path` is a folder, its folder is missing, or it
    exists and `replace` is false; nothing is written then.
    """
    fmt = export_format(path)
    if path.is_dir():
        raise StoreError(f"{path}: is a folder; name a file to export into")
    if not path.parent.is_dir():
        raise StoreError(f"{path}: folder {path.parent} does not exist")
    if path.exists() and not replace:
        raise StoreError(f"{path}: exists; answer yes to replace it")
    result = run_typed_query(db, sql, timeout)
    if not result.columns:
        raise StoreError("export: the query returned no columns; nothing to write")
    partial = path.with_name(f".{path.name}.partial")
    try:
        if fmt == "csv":
            _write_csv(result, partial)
        else:
            _write_parquet(result, partial)
        os.replace(partial, path)
    except (OSError, duckdb.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise StoreError(f"{path}: cannot write ({reason})") from None
    return len(result.rows)


def _write_csv(result: QueryResult, path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(result.columns)
        writer.writerows(result.rows)


def unique_names(columns: list[str]) -> list[str]:
    """Column names made unique for a file format that needs it (`a, a` -> `a, a_1`)."""
    seen: set[str] = set()
    out = []
    for name in columns:
        candidate, n = name, 0
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _write_parquet(result: QueryResult, path: Path) -> None:
    """The rows, with the column types the query produced, into a fresh in-memory table, then COPY to `path`."""
    names = unique_names(result.columns)
    with duckdb.connect(":memory:") as conn:
        quoted = [_ident(n) for n in names]
        conn.execute(
            "CREATE TABLE result (" + ", ".join(f"{q} {t}" for q, t in zip(quoted, result.types, strict=True)) + ")"
        )
        if names:
            row = "(" + ", ".join("?" * len(names)) + ")"
            for start in range(0, len(result.rows), ROWS_PER_STATEMENT):
                chunk = result.rows[start : start + ROWS_PER_STATEMENT]
                conn.execute(
                    "INSERT INTO result VALUES " + ", ".join([row] * len(chunk)), [v for r in chunk for v in r]
                )
        conn.execute(f"COPY result TO '{_literal(path)}' (FORMAT parquet)")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
