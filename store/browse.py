"""Read paths of the TUI's runs browser: sweeps with a status and title, and runs of every sweep at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from gst.engine.spec.errors import StoreError
from gst.store.db import reading
from gst.store.sql import Row, fetch

LAST_LAUNCH = (
    "last AS (SELECT sweep_id, arg_max(status, started_at) AS launch_status, arg_max(error, started_at) AS launch_error, "
    "arg_max(label, started_at) AS label, max(started_at) AS launched_at FROM launches GROUP BY sweep_id)"
)


def sweep_list(db: Path) -> list[Row]:
    """Every sweep, newest first: title, run counts by status, and one overall status.

    The status is `running` while a run runs, else `interrupted` or `failed` when a run stopped that way
    (a resume can continue it), else `diverged` when a run's loss became NaN or infinite (nothing to resume),
    else `completed` when every run completed, else `failed` when its last launch from the app failed, else
    `queued`. A launch that failed before its child registered the sweep is listed too, as `failed`, with no
    runs and the reason as its title.
    """
    return fetch(
        db,
        f"WITH {LAST_LAUNCH}, known AS ("
        "SELECT s.sweep_id, s.preset, coalesce(s.title, '') AS title, s.created_at, count(r.run_id) AS runs, "
        "count(*) FILTER (WHERE r.status = 'completed') AS completed, "
        "count(*) FILTER (WHERE r.status = 'running') AS running, "
        "count(*) FILTER (WHERE r.status = 'interrupted') AS interrupted, "
        "count(*) FILTER (WHERE r.status = 'failed') AS failed, "
        "count(*) FILTER (WHERE r.status = 'diverged') AS diverged, "
        "CASE WHEN count(*) FILTER (WHERE r.status = 'running') > 0 THEN 'running' "
        "WHEN count(*) FILTER (WHERE r.status = 'interrupted') > 0 THEN 'interrupted' "
        "WHEN count(*) FILTER (WHERE r.status = 'failed') > 0 THEN 'failed' "
        "WHEN count(*) FILTER (WHERE r.status = 'diverged') > 0 THEN 'diverged' "
        "WHEN count(r.run_id) > 0 AND count(*) FILTER (WHERE r.status = 'completed') = count(r.run_id) THEN 'completed' "
        "WHEN any_value(l.launch_status) = 'failed' THEN 'failed' "
        "ELSE 'queued' END AS status "
        "FROM sweeps s LEFT JOIN runs r USING (sweep_id) LEFT JOIN last l USING (sweep_id) GROUP BY ALL) "
        "SELECT * FROM known UNION ALL BY NAME "
        "SELECT sweep_id, label AS preset, 'launch failed: ' || coalesce(launch_error, 'see its log (o)') AS title, "
        "launched_at AS created_at, 0 AS runs, 0 AS completed, 0 AS running, 0 AS interrupted, 0 AS failed, 0 AS diverged, "
        "'failed' AS status FROM last WHERE launch_status = 'failed' AND sweep_id NOT IN (SELECT sweep_id FROM sweeps) "
        "ORDER BY created_at DESC",
    )


def run_list(db: Path, sweep_id: str | None) -> list[Row]:
    """Runs of one sweep (None: of every sweep), in sweep, arm and seed order."""
    return fetch(
        db,
        "SELECT run_id, sweep_id, arm, seed, status, label, epochs_done, epochs_total, final_test_acc, best_test_acc "
        "FROM runs WHERE (? IS NULL OR sweep_id = ?) ORDER BY sweep_id, arm, seed",
        [sweep_id, sweep_id],
    )


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[Row]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def sweep_fingerprint(db: Path, sweep_id: str) -> tuple[Any, ...]:
    """A cheap value that changes whenever the sweep gains a run, an epoch or a status ('latest': the newest)."""
    rows = fetch(
        db,
        "WITH s AS (SELECT sweep_id FROM sweeps WHERE sweep_id = ? OR (? = 'latest') ORDER BY created_at DESC LIMIT 1) "
        "SELECT s.sweep_id, count(r.run_id) AS n, coalesce(sum(r.epochs_done), 0) AS epochs, "
        "string_agg(r.status, ',' ORDER BY r.run_id) AS statuses FROM s LEFT JOIN runs r USING (sweep_id) GROUP BY ALL",
        [sweep_id, sweep_id],
    )
    return tuple(rows[0].values()) if rows else ()


def run_fingerprint(db: Path, run_id: str) -> tuple[Any, ...]:
    """Changes whenever the run gains an epoch or changes status."""
    rows = fetch(db, "SELECT status, epochs_done, error FROM runs WHERE run_id = ?", [run_id])
    return tuple(rows[0].values()) if rows else ()


@dataclass
class SweepRows:
    """One read of a sweep for the live views: its row, all its runs, and epochs and events of the runs asked for."""

    sweep: Row
    runs: list[Row]
    epochs: list[Row]
    events: list[Row]


def sweep_rows(db: Path, sweep_id: str, known: dict[str, int]) -> SweepRows:
    """In one connection: the sweep, its runs, and the epochs and pruning events of every run whose
    `epochs_done` differs from `known` (run id -> epochs already read), so a poll reads only what is new."""
    with reading(db) as conn:
        found = _rows(
            conn,
            "SELECT * FROM sweeps WHERE sweep_id = ? OR (? = 'latest') ORDER BY created_at DESC LIMIT 1",
            [sweep_id, sweep_id],
        )
        if not found:
            raise StoreError(f"no sweep {sweep_id!r} in {db} (see `gst runs`)")
        runs = _rows(
            conn,
            "SELECT run_id, arm, seed, status, epochs_total, epochs_done FROM runs WHERE sweep_id = ? ORDER BY rowid",
            [found[0]["sweep_id"]],
        )
        stale = [r["run_id"] for r in runs if known.get(r["run_id"]) != (r["epochs_done"] or 0)]
        epochs = _rows(
            conn,
            "SELECT run_id, epoch, test_acc, train_acc, seconds FROM epochs WHERE list_contains(?, run_id) "
            "ORDER BY run_id, epoch",
            [stale],
        )
        events = _rows(
            conn,
            "SELECT e.run_id, e.epoch, e.acc_before, e.acc_after, e.drop_pp, sum(l.k_pruned) AS k_pruned "
            "FROM prune_events e LEFT JOIN prune_layers l USING (run_id, epoch) WHERE list_contains(?, e.run_id) "
            "GROUP BY ALL ORDER BY e.run_id, e.epoch",
            [stale],
        )
    return SweepRows(sweep=found[0], runs=runs, epochs=epochs, events=events)


def database_fingerprint(db: Path) -> tuple[Any, ...]:
    """Changes whenever any sweep or run is added, gains an epoch or changes status."""
    rows = fetch(
        db,
        "SELECT (SELECT count(*) FROM sweeps) AS sweeps, (SELECT count(*) FROM launches) AS launches, count(*) AS runs, coalesce(sum(epochs_done), 0) AS epochs, "
        "string_agg(status, ',' ORDER BY run_id) AS statuses FROM runs",
    )
    return tuple(rows[0].values())
