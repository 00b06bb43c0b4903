"""A query result exported to the file the user named, the query itself still sandboxed; the schema browser's read."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gst.engine.spec.errors import StoreError
from gst.store import queries
from gst.store.query_export import export_query, unique_names
from tests.store.test_sandbox import ATTACKS

SQL = "SELECT 1e-3 AS lr, 1.6e-11 AS p, 'x,\"y' AS name, [1, 2] AS l, 3 AS a, 4 AS a"


def test_csv_and_parquet_keep_every_value_and_type(store: Path, tmp_path: Path) -> None:
    assert export_query(store, SQL, tmp_path / "r.csv") == 1
    assert (tmp_path / "r.csv").read_text().splitlines() == ["lr,p,name,l,a,a", '0.001,1.6e-11,"x,""y","[1, 2]",3,4']
    assert export_query(store, SQL, tmp_path / "r.parquet") == 1
    with duckdb.connect() as conn:
        row = conn.execute(f"SELECT * FROM '{tmp_path / 'r.parquet'}'").fetchone()
        types = [d[1] for d in conn.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'r.parquet'}'").fetchall()]
    assert row == (0.001, 1.6e-11, 'x,"y', [1, 2], 3, 4)
    assert types == ["DOUBLE", "DOUBLE", "VARCHAR", "INTEGER[]", "INTEGER", "INTEGER"]


def test_an_existing_file_is_replaced_only_when_asked(store: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    target.write_text("mine")
    with pytest.raises(StoreError, match="exists"):
        export_query(store, SQL, target)
    assert target.read_text() == "mine"
    export_query(store, SQL, target, replace=True)
    assert target.read_text().startswith("lr,p")


@pytest.mark.parametrize(
    ("name", "message"), [("r.txt", r"\.csv or \.parquet"), ("missing/r.csv", "does not exist"), ("dir.csv", "folder")]
)
def test_bad_targets_write_nothing(store: Path, tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "dir.csv").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(StoreError, match=message):
        export_query(store, SQL, tmp_path / name)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_exported_query_is_still_sandboxed(store: Path, tmp_path: Path, attack: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "secret.txt").write_text("TOPSECRET")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(StoreError, match="may only read the database|query failed"):
        export_query(store, attack.format(secret=home / "secret.txt", home=home), tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # not even the export's own file


def test_failed_queries_write_nothing(store: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="query failed"):
        export_query(store, "SELECT nope FROM runs", tmp_path / "out.parquet")
    assert not list(tmp_path.glob("*out*"))


def test_unique_names() -> None:
    assert unique_names(["a", "a", "a_1", "b"]) == ["a", "a_1", "a_1_1", "b"]


def test_schema_columns_lists_tables_without_gst_bookkeeping(store: Path) -> None:
    schema = queries.schema_columns(store)
    assert "schema_migrations" not in schema and {"sweeps", "runs", "epochs", "prune_events"} <= set(schema)
    assert schema["epochs"][:3] == [("run_id", "VARCHAR"), ("epoch", "INTEGER"), ("lr", "DOUBLE")]
