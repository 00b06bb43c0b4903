"""Writes of the noise columns (migration 0004): event kind, targeted/removed counts and noised forwards.

Called once per batch from `apply_ops`, after the prune_events and prune_layers rows of that batch exist.
Every statement is an idempotent UPDATE, so journal replays neither duplicate nor lose anything.
"""

from __future__ import annotations

from typing import Any

import duckdb

from gst.engine.events import NoiseWindowClosed, Pruned, event_from_dict


def apply_noise(conn: duckdb.DuckDBPyConnection, ops: list[dict[str, Any]]) -> None:
    """Fill the 0004 columns from Pruned and NoiseWindowClosed events of a batch of journal operations."""
    kinds, layers, windows = [], [], []
    for op in ops:
        if op["op"] != "event" or op["event"]["type"] not in ("Pruned", "NoiseWindowClosed"):
            continue
        event = event_from_dict(op["event"])
        if isinstance(event, Pruned):
            kinds.append([event.kind, event.run_id, event.epoch])
            layers += [[x.targeted_total, x.removed_total, event.run_id, event.epoch, x.layer] for x in event.layers]
        elif isinstance(event, NoiseWindowClosed):
            windows.append(event)
    if kinds:
        conn.executemany("UPDATE prune_events SET kind = ? WHERE run_id = ? AND epoch = ?", kinds)
    if layers:
        conn.executemany(
            "UPDATE prune_layers SET targeted_total = ?, removed_total = ? WHERE run_id = ? AND epoch = ? AND layer = ?",
            layers,
        )
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
