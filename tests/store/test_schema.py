"""Every table everywhere: the schema's tables come from DuckDB's catalog, and export, `gst query --help` and the
README's schema list all of them."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from gst.store import queries
from gst.store.db import writing
from gst.store.schema import database_columns, schema_tables

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_schema_is_what_the_migrations_create() -> None:
    tables = schema_tables()
    assert tables[:3] == ["sweeps", "runs", "epochs"] and {"flatness", "perturbation"} <= set(tables)
    assert "schema_migrations" not in tables


def test_database_columns_read_a_files_catalog(db: Path) -> None:
    with writing(db):
        pass
    columns = database_columns(db)
    assert list(columns)[: len(schema_tables())] == schema_tables() and "schema_migrations" in columns
    assert ("unresolved", "INTEGER") in columns["flatness"] and ("eigenvalues", "DOUBLE[]") in columns["flatness"]
    assert columns["perturbation"][0] == ("run_id", "VARCHAR")


def test_export_writes_every_table(db: Path, tmp_path: Path) -> None:
    with writing(db):
        pass
    for fmt in ("csv", "parquet"):
        paths = queries.export(db, tmp_path / fmt, fmt)
        assert [p.name for p in paths] == [f"{t}.{fmt}" for t in schema_tables()]
        assert all(p.is_file() for p in paths)
    assert (tmp_path / "csv" / "flatness.csv").read_text().startswith("run_id,epoch,method,")


def test_query_help_and_the_readme_name_every_table() -> None:
    from gst.tui.entry import app

    result = CliRunner().invoke(app, ["query", "--help"], env={"COLUMNS": "400"})
    assert all(t in result.output for t in schema_tables())
    text = README.read_text()
    section = text[text.index("## The database") : text.index("### Watching while a run writes")]
    assert re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE) == schema_tables()
