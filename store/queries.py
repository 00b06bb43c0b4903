"""Read functions for the CLI and TUI, one per question; each opens the file read-only for one short query."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb

from gst.engine.spec.errors import StoreError
from gst.store.db import reading, require_database
from gst.store.sandbox import run_query
from gst.store.schema import database_columns, schema_tables
from gst.store.sql import Row, fetch


def sweeps(db: Path) -> list[Row]:
    """Every sweep, newest first, with run counts by status."""
    return fetch(
        db,
        "SELECT s.sweep_id, s.preset, s.created_at, s.device, count(r.run_id) AS runs, "
        "count(*) FILTER (WHERE r.status = 'completed') AS completed, "
        "count(*) FILTER (WHERE r.status = 'running') AS running "
        "FROM sweeps s LEFT JOIN runs r USING (sweep_id) GROUP BY ALL ORDER BY s.created_at DESC",
    )


def _resolve(db: Path, kind: str, table: str, column: str, text: str) -> str:
    """The one id in `table` equal to `text` or starting with it; StoreError naming the candidates otherwise."""
    if not text:
        raise StoreError(f"{kind} id: empty (see `gst runs`)")
    found = [
        r[column]
        for r in fetch(
            db,
            f"SELECT {column} FROM {table} WHERE starts_with({column}, ?) ORDER BY {column} = ? DESC, {column} LIMIT 6",
            [text, text],
        )
    ]
    if found and found[0] == text:
        return text
    if not found:
        raise StoreError(f"no {kind} {text!r} in {db} (see `gst runs`)")
    if len(found) > 1:
        more = ", ..." if len(found) > 5 else ""
        raise StoreError(f"{kind} id {text!r} matches several {kind}s: {', '.join(found[:5])}{more}; give more of it")
    return str(found[0])


def resolve_sweep_id(db: Path, text: str) -> str:
    """A sweep id from `latest`, the whole id, or a unique prefix of it."""
    if text == "latest":
        rows = fetch(db, "SELECT sweep_id FROM sweeps ORDER BY created_at DESC LIMIT 1")
        if not rows:
            raise StoreError(f"no sweep in {db} yet (run `gst run preset smoke` first)")
        return str(rows[0]["sweep_id"])
    return _resolve(db, "sweep", "sweeps", "sweep_id", text)


def resolve_run_id(db: Path, text: str) -> str:
    """A run id from the whole id or a unique prefix of it."""
    return _resolve(db, "run", "runs", "run_id", text)


def sweep(db: Path, sweep_id: str) -> Row:
    """One sweep row by id, unique id prefix, or `latest` (the newest). StoreError if absent or ambiguous."""
    return fetch(db, "SELECT * FROM sweeps WHERE sweep_id = ?", [resolve_sweep_id(db, sweep_id)])[0]


def runs(db: Path, sweep_id: str | None = None, status: str | None = None) -> list[Row]:
    """Runs, optionally of one sweep and/or one status, in sweep/arm/seed order."""
    return fetch(
        db,
        "SELECT run_id, sweep_id, arm, seed, status, model, dataset, label, epochs_done, epochs_total, resumed_from, "
        "final_test_acc, best_test_acc, final_train_acc, params_total, params_remaining, started_at, finished_at, error, "
        "backend, worker, host, attempt, threads "
        "FROM runs WHERE (? IS NULL OR sweep_id = ?) AND (? IS NULL OR status = ?) ORDER BY started_at NULLS LAST, sweep_id, arm, seed",
        [sweep_id, sweep_id, status, status],
    )


def run(db: Path, run_id: str) -> Row:
    """One run row with its spec. StoreError if absent."""
    rows = fetch(db, "SELECT * FROM runs WHERE run_id = ?", [run_id])
    if not rows:
        raise StoreError(f"no run {run_id!r} in {db} (see `gst runs`)")
    return rows[0]


def epochs(db: Path, run_ids: list[str]) -> list[Row]:
    """Per-epoch rows of the given runs."""
    return fetch(db, "SELECT * FROM epochs WHERE list_contains(?, run_id) ORDER BY run_id, epoch", [run_ids])


def prune_events(db: Path, run_ids: list[str]) -> list[Row]:
    """Pruning moments of the given runs with their layers as 'conv5:38, conv8:65'."""
    return fetch(
        db,
        "SELECT e.*, string_agg(l.layer || ':' || l.k_pruned, ', ' ORDER BY l.layer) AS layers, sum(l.k_pruned) AS k_pruned "
        "FROM prune_events e LEFT JOIN prune_layers l USING (run_id, epoch) WHERE list_contains(?, e.run_id) "
        "GROUP BY ALL ORDER BY e.run_id, e.epoch",
        [run_ids],
    )


def query(
    db: Path, sql: str, timeout: float | None = None, limit: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A user's SQL, sandboxed to reading the database: (column names, the first `limit` rows; None: all)."""
    return run_query(db, sql, timeout, limit)


def schema_columns(db: Path) -> dict[str, list[tuple[str, str]]]:
    """Every table of the database with its (column, type) pairs, in column order, gst's own bookkeeping
    (schema_migrations) left out: what the SQL screen's schema browser shows."""
    return {table: cols for table, cols in database_columns(db).items() if table != "schema_migrations"}


def export(db: Path, out_dir: Path, fmt: str, force: bool = False) -> list[Path]:
    """Write every table of the schema to `out_dir` as parquet or csv files; returns the paths written.

    Files of the same names are overwritten only with `force`; nothing is written if any would be.
    """
    tables = schema_tables()
    targets = [out_dir / f"{table}.{fmt}" for table in tables]
    if out_dir.exists() and not out_dir.is_dir():
        raise StoreError(f"{out_dir}: is a file, not a folder; give a folder to export into")
    clash = [p.name for p in targets if p.exists()]
    if clash and not force:
        raise StoreError(f"{out_dir}: already holds {', '.join(clash)}; pass --force to overwrite them")
    require_database(db)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{out_dir}: cannot create the folder ({exc.strerror})") from None
    with reading(db) as conn:
        for table, path in zip(tables, targets, strict=True):
            try:
                _export_table(conn, table, path, fmt)
            except (OSError, duckdb.Error) as exc:
                raise StoreError(f"{path}: cannot write ({str(exc).splitlines()[0]})") from None
    return targets


def _export_table(conn: duckdb.DuckDBPyConnection, table: str, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        conn.execute(f"COPY {table} TO '{_quote(path)}' (FORMAT parquet)")
        return
    cur = conn.execute(f"SELECT * FROM {table}")
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([d[0] for d in cur.description])
        writer.writerows(cur.fetchall())


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def to_json(rows: list[Row]) -> str:
    """JSON text of rows (timestamps as ISO strings)."""
    return json.dumps(rows, default=str, indent=2)


def arm_summary(db: Path, sweep_id: str, arm_order: list[str] | None = None) -> list[Row]:
    """Per arm: completed runs, mean final/best accuracy, mean drop over all events, generalization gap.

    Rows follow `arm_order` (the preset's) when given, else arm names.
    """
    rows = fetch(
        db,
        "WITH ev AS (SELECT run_id, avg(drop_pp) AS mean_drop, count(*) AS events FROM prune_events GROUP BY run_id) "
        "SELECT r.arm, any_value(r.label) AS label, count(*) AS runs, count(*) FILTER (WHERE r.status = 'completed') AS n, "
        "avg(r.final_test_acc) FILTER (WHERE r.status = 'completed') AS final_test_acc, "
        "stddev_samp(r.final_test_acc) FILTER (WHERE r.status = 'completed') AS final_test_sd, "
        "avg(r.best_test_acc) FILTER (WHERE r.status = 'completed') AS best_test_acc, "
        "avg(ev.mean_drop) AS mean_drop_pp, avg(ev.events) AS events_per_run, "
        "avg(r.final_train_acc - r.final_test_acc) FILTER (WHERE r.status = 'completed') AS gap "
        "FROM runs r LEFT JOIN ev USING (run_id) WHERE r.sweep_id = ? GROUP BY r.arm ORDER BY r.arm",
        [sweep_id],
    )
    rank = {name: i for i, name in enumerate(arm_order or [])}
    return sorted(rows, key=lambda r: rank.get(r["arm"], len(rank)))


def interrupted_sweep_ids(db: Path) -> list[str]:
    """Sweeps with at least one interrupted run (resumable)."""
    return [r["sweep_id"] for r in fetch(db, "SELECT DISTINCT sweep_id FROM runs WHERE status = 'interrupted'")]


def bn_activations(db: Path, run_ids: list[str]) -> list[Row]:
    """Fig A1's BN activation histograms of the given runs, by epoch and layer."""
    return fetch(
        db,
        "SELECT run_id, epoch, layer, bin_edges, density, ks_distance FROM bn_activations "
        "WHERE list_contains(?, run_id) ORDER BY epoch, layer",
        [run_ids],
    )


def sweep_runs(db: Path, sweep_id: str) -> list[Row]:
    """Every run of a sweep with its status and spec, in arm/seed order."""
    return fetch(
        db, "SELECT run_id, arm, seed, status, spec_json FROM runs WHERE sweep_id = ? ORDER BY arm, seed", [sweep_id]
    )


def accuracy_curves(db: Path, run_ids: list[str]) -> list[Row]:
    """Test and train accuracy per epoch of the given runs."""
    return fetch(
        db,
        "SELECT run_id, epoch, test_acc, train_acc FROM epochs WHERE list_contains(?, run_id) ORDER BY run_id, epoch",
        [run_ids],
    )


def accuracy_drops(db: Path, run_ids: list[str]) -> list[Row]:
    """Accuracy before and after each pruning moment of the given runs."""
    return fetch(
        db,
        "SELECT run_id, epoch, acc_before, acc_after FROM prune_events WHERE list_contains(?, run_id) "
        "ORDER BY run_id, epoch",
        [run_ids],
    )
