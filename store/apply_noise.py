"""Writes of the noise windows' forward counts (migration 0004); the event kind and targeted/removed counts
come with the typed rows (gst.store.rows).

Called once per batch from `apply_ops`, after the prune_events and prune_layers rows of that batch exist.
Every statement is an idempotent UPDATE, so journal replays neither duplicate nor lose anything.
"""

from __future__ import annotations

from typing import Any

import duckdb

from gst.engine.spec.events import NoiseWindowClosed, event_from_dict


def apply_noise(conn: duckdb.DuckDBPyConnection, ops: list[dict[str, Any]]) -> None:
    """Fill the 0004 columns from Pruned and NoiseWindowClosed events of a batch of journal operations."""
    windows = [
        event
        for op in ops
        if op.get("op") == "event" and op["event"].get("type") == "NoiseWindowClosed"
        for event in [event_from_dict(op["event"])]
        if isinstance(event, NoiseWindowClosed)
    ]
    for w in windows:
        conn.execute(
            "UPDATE prune_layers SET noised_train_forwards = ?, noised_eval_forwards = ?, window_complete = ? "
            "WHERE run_id = ? AND epoch = ? AND layer = ?",
            [w.train_forwards, w.eval_forwards, w.complete, w.run_id, w.epoch, w.layer],
        )
        conn.execute(
            "UPDATE prune_events SET noised_train_forwards = greatest(coalesce(noised_train_forwards, 0), ?), "
            "noised_eval_forwards = greatest(coalesce(noised_eval_forwards, 0), ?) WHERE run_id = ? AND epoch = ?",
            [w.train_forwards, w.eval_forwards, w.run_id, w.epoch],
        )
