"""Checks a database file before gst trusts it: a folder, another format, a file cut short, a newer schema or a
read-only file each get one line naming the path, before any command reads or writes it.

DuckDB opens a truncated file without complaint and fails only when a query reaches a missing block; the
blocks each table uses are in its storage metadata, so a short file is found without reading the data.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from gst.engine.spec.errors import StoreError

MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB file
HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers, before the first block
DAMAGE = (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException, duckdb.FatalException)


def check_path(path: Path, write: bool) -> None:
    """StoreError if `path` is a folder, is not a DuckDB file, or (`write`) cannot be written; a missing file
    passes (writers create it, readers say so themselves)."""
    if path.is_dir():
        raise StoreError(f"{path}: is a folder, not a database file; give a .duckdb file as --db")
    if not path.exists():
        return
    try:
        with path.open("rb") as f:
            head = f.read(HEADER_BYTES)
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(head) < HEADER_BYTES or head[8:12] != MAGIC:
        what = "an empty file" if not head else "damaged, cut short or another format"
        raise StoreError(f"{path}: not a DuckDB database file ({what}); use another --db")
    if write:
        folder = path.parent if str(path.parent) else Path(".")
        if not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222:  # root may write anyway: mode bits say
            raise StoreError(
                f"{path}: the file is read-only and this command writes to it; make it writable or use another --db"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreError(f"{path}: folder {folder} cannot be written (DuckDB keeps its write-ahead log there)")


def check_contents(conn: duckdb.DuckDBPyConnection, path: Path, latest: int) -> int | None:
    """The schema version of an open gst database (None: an empty DuckDB file, which gst may set up).

    StoreError for another program's database, a schema newer than `latest`, or a file shorter than the blocks
    its tables use.
    """
    try:
        tables = [
            row[0]
            for row in conn.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        ]
        if "schema_migrations" not in tables:
            if tables:
                raise StoreError(
                    f"{path}: a DuckDB database, but not gst's (no schema_migrations table); use another --db"
                )
            return None
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        version = row[0] if row else None
        if version is not None and version > latest:
            raise StoreError(
                f"{path}: written by a newer gst (schema {version}; this gst knows up to {latest}); "
                "upgrade gst or use another --db"
            )
        _check_length(conn, path, tables)
    except DAMAGE as exc:
        raise damaged(path, exc) from None
    return int(version) if version is not None else None


def _check_length(conn: duckdb.DuckDBPyConnection, path: Path, tables: list[str]) -> None:
    size_row = conn.execute(
        "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()"
    ).fetchone()
    if size_row is None:
        return
    last = -1
    for table in tables:
        found = conn.execute(
            "SELECT max(greatest(block_id, coalesce(list_max(additional_block_ids), -1))) "
            "FROM pragma_storage_info(?) WHERE persistent",
            [table],
        ).fetchone()
        if found and found[0] is not None:
            last = max(last, int(found[0]))
    needed = HEADER_BYTES + (last + 1) * int(size_row[0])
    size = path.stat().st_size
    if size < needed:
        raise StoreError(
            f"{path}: damaged or cut short ({size:,} bytes; its tables need {needed:,}); restore a copy or use another --db"
        )


def damaged(path: Path, exc: BaseException) -> StoreError:
    """One line for a database whose bytes cannot be read back."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return StoreError(f"{path}: the database is damaged or cut short ({first}); restore a copy or use another --db")
