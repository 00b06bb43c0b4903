"""The flatness and perturbation tables: exact columns, rows from the event, NaN as NULL, idempotent replay."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gst.engine.spec.events import FlatnessMeasured
from gst.store import queries_flatness
from gst.store.db import reading, writing
from gst.store.writer import StoreWriter

RECORD = FlatnessMeasured(
    run_id="s1-a-0", epoch=2, method="lanczos", split="test", count=512,
    eigenvalues=(4.0, 1.5, -0.5), residuals=(1e-4, 2e-4, 3e-4), steps=(30, 30, 30), hvps=33,
    grad_sq_trace=10.0, grad_cov_trace_centered=9.0, hutchinson_trace=math.nan, eig_sum=5.0, eig_sum_positive=5.5,
    lambda_min=-0.5, tic=2.0, eps_star=math.nan, test_loss=0.7, test_acc=80.0,
    eps=(-0.1, 0.0, 0.1), perturb_loss=((0.9, 0.7, 0.8), (0.75, 0.7, 0.72)), perturb_acc=((70.0, 80.0, 75.0), (79.0, 80.0, 78.0)),
)  # fmt: skip


def test_flatness_tables_have_their_columns(db: Path) -> None:
    with writing(db):
        pass
    with reading(db) as conn:
        flat = [c[0] for c in conn.execute("DESCRIBE flatness").fetchall()]
        pert = [c[0] for c in conn.execute("DESCRIBE perturbation").fetchall()]
    assert flat[:10] == [
        "run_id",
        "epoch",
        "method",
        "split",
        "n_examples",
        "k",
        "eigenvalues",
        "residuals",
        "steps",
        "hvps",
    ]
    assert "eps_star" in flat and "grad_cov_trace_centered" in flat and "tic" in flat
    assert pert == ["run_id", "epoch", "vec_index", "eps", "test_loss", "test_acc"]


def test_flatness_record_becomes_rows_and_replays_idempotently(db: Path) -> None:
    writer = registered(db)
    writer.handle(RECORD)
    writer.handle(RECORD)  # a replayed journal writes the same rows again
    assert writer.close()
    (row,) = queries_flatness.flatness(db, ["s1-a-0"])
    assert row["eigenvalues"] == [4.0, 1.5, -0.5] and row["k"] == 3 and row["lambda_max"] == 4.0
    assert row["eps_star"] is None and row["hutchinson_trace"] is None and row["tic"] == 2.0
    rows = queries_flatness.perturbation(db, ["s1-a-0"])
    assert len(rows) == 6
    assert [(r["vec_index"], r["eps"], r["test_loss"]) for r in rows[:3]] == [
        (0, -0.1, 0.9),
        (0, 0.0, 0.7),
        (0, 0.1, 0.8),
    ]


def registered(db: Path, seeds: tuple[int, ...] = (0,)) -> StoreWriter:
    """An open writer whose database holds sweep s1 and its runs s1-a-SEED (measurements need their run)."""
    writer = StoreWriter(db)
    writer.open()
    writer.record({"op": "sweep", "sweep": {"sweep_id": "s1", "preset": "p", "created_at": "2026-01-01 00:00:00", "preset_toml": "", "overrides": "[]", "gst_version": "0",
                   "git_rev": None, "host": "h", "device": "cpu", "title": "", "description": "", "expect": ""}})  # fmt: skip
    for seed in seeds:
        writer.record({"op": "run", "run": {"run_id": f"s1-a-{seed}", "sweep_id": "s1", "arm": "a", "seed": seed, "status": "queued", "model": "conv4",
                       "dataset": "synthetic", "spec_json": "{}", "spec_hash": "x", "label": "l", "epochs_total": 2}})  # fmt: skip
    return writer


def test_gst_show_prints_flatness(db: Path) -> None:
    from typer.testing import CliRunner

    from gst.tui.entry import app

    writer = registered(db)
    writer.handle(RECORD)
    assert writer.close()
    result = CliRunner().invoke(app, ["show", "s1-a-0", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "flatness" in result.output and "top eigenvalues 4, 1.5, -0.5" in result.output
    assert "worst residual 0.0003" in result.output


def test_lanczos_estimated_residuals_are_counted_and_shown_apart(db: Path) -> None:
    from dataclasses import replace

    from typer.testing import CliRunner

    from gst.tui.entry import app

    writer = registered(db, seeds=(0, 1))
    writer.handle(replace(RECORD, residuals_checked=1))
    writer.handle(replace(RECORD, run_id="s1-a-1"))  # no count: every residual is a true one
    assert writer.close()
    rows = {r["run_id"]: r for r in queries_flatness.flatness(db, ["s1-a-0", "s1-a-1"])}
    assert (rows["s1-a-0"]["residuals_checked"], rows["s1-a-1"]["residuals_checked"]) == (1, 3)
    result = CliRunner().invoke(app, ["show", "s1-a-0", "--db", str(db)])
    assert "worst residual 0.0001 over the top 1, estimated 0.0003 over the rest" in result.output


def test_unresolved_eigenvalues_are_counted_and_named(db: Path) -> None:
    from dataclasses import replace

    from typer.testing import CliRunner

    from gst.tui.entry import app

    writer = registered(db, seeds=(0, 1))
    writer.handle(replace(RECORD, residuals=(1e-4, 33.0, math.nan), unresolved=2))
    writer.handle(replace(RECORD, run_id="s1-a-1", residuals=(1e-4, 0.5, 0.2)))  # an older record: counted here
    assert writer.close()
    rows = {r["run_id"]: r for r in queries_flatness.flatness(db, ["s1-a-0", "s1-a-1"])}
    assert (rows["s1-a-0"]["unresolved"], rows["s1-a-1"]["unresolved"]) == (2, 2)
    result = CliRunner().invoke(app, ["show", "s1-a-0", "--db", str(db)])
    assert "2 of 3 eigenvalues are unresolved (residual above 0.1" in " ".join(result.output.split())


def test_a_database_from_before_0006_is_migrated_by_its_first_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from gst.engine.spec.errors import StoreError
    from gst.store.db import migrations

    def old_database(path: Path) -> None:
        conn = duckdb.connect(str(path))
        for version, _, sql in migrations():
            if version <= 5:
                conn.execute(sql)
        conn.execute(
            "INSERT INTO flatness (run_id, epoch, method, split, n_examples, k, eigenvalues, residuals, steps, hvps) "
            "VALUES ('r', 1, 'lanczos', 'test', 8, 2, [2.0, 1.0], [0.1, 0.2], [5, 5], 7)"
        )
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
        conn.executemany(
            "INSERT INTO schema_migrations VALUES (?, ?, now())", [[v, n] for v, n, _ in migrations() if v <= 5]
        )
        conn.close()

    old_database(tmp_path / "old.duckdb")  # a read (gst show, summary) of a new column used to be a binder error
    (row,) = queries_flatness.flatness(tmp_path / "old.duckdb", ["r"])
    assert row["residuals_checked"] == 2  # every earlier residual was a true one
    assert (row["unresolved"], row["residual_bound"]) == (1, 0.1)  # 0.2 says: not known to be an eigenvalue

    import contextlib

    from gst.store import db as store_db

    @contextlib.contextmanager
    def unwritable(path: Path, timeout: float = 2.0):  # type: ignore[no-untyped-def]
        raise StoreError(f"{path}: folder {path.parent} cannot be written; use another --db")
        yield

    old_database(tmp_path / "second.duckdb")
    monkeypatch.setattr(store_db, "writing", unwritable)
    with pytest.raises(StoreError, match=r"written by an older gst \(schema 5, this gst reads \d+\) and not updatable"):
        queries_flatness.flatness(tmp_path / "second.duckdb", ["r"])
