"""Turns journal operations (sweep and run registrations, engine events) into SQL, in bulk.

Every operation is idempotent, so replaying a journal after a crash never duplicates or loses rows.
"""

from __future__ import annotations

from typing import Any

import duckdb

from gst.engine.events import (
    BnActivations,
    EpochEnded,
    FlatnessMeasured,
    Pruned,
    RunFailed,
    RunFinished,
    RunStarted,
    event_from_dict,
)
from gst.store.apply_flatness import apply_flatness

Op = dict[str, Any]
ROWS_PER_STATEMENT = 500
SWEEP_COLUMNS = (
    "sweep_id",
    "preset",
    "created_at",
    "preset_toml",
    "gst_version",
    "git_rev",
    "host",
    "device",
    "title",
    "description",
    "expect",
)
RUN_COLUMNS = (
    "run_id",
    "sweep_id",
    "arm",
    "seed",
    "status",
    "model",
    "dataset",
    "spec_json",
    "spec_hash",
    "label",
    "epochs_total",
)
BN_COLUMNS = ("run_id", "epoch", "layer", "bin_edges", "density", "mean", "std", "skewness", "kurtosis", "ks_distance")
EPOCH_COLUMNS = (
    "run_id",
    "epoch",
    "lr",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "pre_prune_test_acc",
    "params_remaining",
    "seconds",
)


def insert_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    key: int,
    verb: str = "INSERT OR REPLACE",
) -> None:
    """Multi-row INSERT, last row winning per primary key (the first `key` columns)."""
    unique = list({row[:key]: row for row in rows}.values())
    placeholders = "(" + ", ".join("?" * len(columns)) + ")"
    for start in range(0, len(unique), ROWS_PER_STATEMENT):
        chunk = unique[start : start + ROWS_PER_STATEMENT]
        sql = f"{verb} INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([placeholders] * len(chunk))
        conn.execute(sql, [value for row in chunk for value in row])


def apply_ops(conn: duckdb.DuckDBPyConnection, ops: list[Op]) -> None:
    """Write a batch of operations: registrations first, then measurement rows, then run status changes."""
    sweeps = [tuple(op["sweep"][c] for c in SWEEP_COLUMNS) for op in ops if op["op"] == "sweep"]
    runs = [tuple(op["run"][c] for c in RUN_COLUMNS) for op in ops if op["op"] == "run"]
    insert_rows(conn, "sweeps", SWEEP_COLUMNS, sweeps, 1)
    insert_rows(conn, "runs", RUN_COLUMNS, runs, 1, verb="INSERT OR IGNORE")
    epochs, events, layers, probes, updates = [], [], [], [], []
    for op in ops:
        if op["op"] != "event":
            continue
        event = event_from_dict(op["event"])
        if isinstance(event, FlatnessMeasured):
            continue  # written by apply_flatness
        if isinstance(event, EpochEnded):
            epochs.append(tuple(getattr(event, c) for c in EPOCH_COLUMNS))
            updates.append(
                (
                    "UPDATE runs SET epochs_done = greatest(coalesce(epochs_done, 0), ?), params_remaining = ? WHERE run_id = ? AND status <> 'completed'",
                    [event.epoch, event.params_remaining, event.run_id],
                )
            )
        elif isinstance(event, BnActivations):
            probes.append(
                tuple(list(v) if isinstance(v, tuple) else v for v in (getattr(event, c) for c in BN_COLUMNS))
            )
        elif isinstance(event, Pruned):
            events.append(
                (event.run_id, event.epoch, event.acc_before, event.acc_after, event.drop_pp, event.instability_rel)
            )
            layers += [
                (event.run_id, event.epoch, x.layer, x.k_pruned, x.alive_after, x.score_mean, x.score_min, x.score_max)
                for x in event.layers
            ]
        else:
            updates.append(_status_update(event, op))
    insert_rows(conn, "epochs", EPOCH_COLUMNS, epochs, 2)
    insert_rows(
        conn, "prune_events", ("run_id", "epoch", "acc_before", "acc_after", "drop_pp", "instability_rel"), events, 2
    )
    insert_rows(
        conn,
        "prune_layers",
        ("run_id", "epoch", "layer", "k_pruned", "alive_after", "score_mean", "score_min", "score_max"),
        layers,
        3,
    )
    insert_rows(conn, "bn_activations", BN_COLUMNS, probes, 3)
    apply_flatness(conn, ops)
    for sql, params in updates:
        conn.execute(sql, params)


def _status_update(event: Any, op: Op) -> tuple[str, list[Any]]:
    at = op["at"]
    if isinstance(event, RunStarted):
        return (
            "UPDATE runs SET status = 'running', started_at = coalesce(started_at, ?), device = ?, params_total = ?, "
            "epochs_total = ?, data_subset_hash = ?, host = ?, pid = ?, resumed_from = ?, error = NULL WHERE run_id = ? AND status <> 'completed'",
            [
                at,
                event.device,
                event.params_total,
                event.epochs_total,
                event.data_subset_hash,
                op.get("host"),
                op.get("pid"),
                event.resumed_from_epoch,
                event.run_id,
            ],
        )
    if isinstance(event, RunFinished):
        return (
            "UPDATE runs SET status = 'completed', finished_at = ?, final_test_acc = ?, best_test_acc = ?, final_train_acc = ?, "
            "params_remaining = ?, error = NULL WHERE run_id = ?",
            [
                at,
                event.final_test_acc,
                event.best_test_acc,
                event.final_train_acc,
                event.params_remaining,
                event.run_id,
            ],
        )
    assert isinstance(event, RunFailed)
    status = "interrupted" if event.interrupted else "failed"
    return (
        "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ? AND status <> 'completed'",
        [status, at, event.error, event.run_id],
    )
