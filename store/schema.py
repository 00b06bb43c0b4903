"""The schema as DuckDB's catalog knows it: the tables the migrations create, and the columns of a database file.

`gst export`, `gst query --help` and the app's SQL screen list tables from here, never from a hand-kept list, so
a migration that adds a table shows up everywhere at once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

from gst.store.db import migrations, reading


@cache
def schema_tables() -> list[str]:
    """The tables the migration files create, in the order they create them (schema_migrations, gst's own
    bookkeeping, is not one of them): read from the catalog of an in-memory database migrated with them."""
    conn = duckdb.connect(":memory:")
    order: list[str] = []  # by first appearance: a migration that rebuilds a table keeps its place
    try:
        for _, _, sql in migrations():
            conn.execute(sql)
            catalog = conn.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal ORDER BY table_oid")
            tables = [str(name) for (name,) in catalog.fetchall()]
            order += [name for name in tables if name not in order]
    finally:
        conn.close()
    return [name for name in order if name in tables]


def database_columns(db: Path) -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, type)] of every table in a database file's catalog: the schema's tables first, in
    their order, then any other (schema_migrations)."""
    with reading(db) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal "
            "ORDER BY table_oid, column_index"
        ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        columns.setdefault(str(table), []).append((str(column), str(kind)))
    rank = {name: i for i, name in enumerate(schema_tables())}
    return {t: columns[t] for t in sorted(columns, key=lambda t: (rank.get(t, len(rank)), t))}
