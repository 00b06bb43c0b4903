"""What earlier sweeps on this machine measured about time, for the launch estimate: epoch seconds of one
model (with batch size, augmentation, precision and the data sizes they had), the wait before a
sweep's first run starts and after its last one ends, and the pause between runs on one worker."""

from __future__ import annotations

from pathlib import Path

from gst.store.sql import Row, fetch


def epoch_seconds(
    db: Path, host: str, device_kind: str, model: str, augment: bool, precision: str, limit: int = 4000
) -> list[Row]:
    """Newest stored epochs of that model, augmentation and precision on `host` and devices of a kind (cpu, cuda):
    their seconds, the run's batch size (a number or "auto") and training images, its data set, and whether
    the epoch pruned (so tested twice)."""
    return fetch(
        db,
        "SELECT e.seconds, json_extract_string(r.spec_json, '$.batch_size') AS batch_size, "
        "10 * CAST(json_extract_string(r.spec_json, '$.examples_per_class') AS INTEGER) AS train_images, "
        "r.dataset, p.run_id IS NOT NULL AS pruned "
        "FROM epochs e JOIN runs r USING (run_id) LEFT JOIN prune_events p USING (run_id, epoch) "
        "WHERE r.host = ? AND coalesce(r.device, '') LIKE ? AND r.model = ? AND e.seconds > 0 "
        "AND json_extract_string(r.spec_json, '$.augment') = ? "
        "AND coalesce(json_extract_string(r.spec_json, '$.precision'), 'fp32') = ? "
        "ORDER BY r.started_at DESC, e.epoch LIMIT ?",
        [host, f"{device_kind}%", model, str(augment).lower(), precision, limit],
    )


def sweep_waits(db: Path, host: str, device_kind: str, limit: int = 10) -> list[Row]:
    """Recent sweeps on `host`: seconds from the start (the app's launch, else the registration) to the first run
    starting (`before_s`), and from the last run's end to the launch's end (`after_s`, launched from the app only)."""
    return fetch(
        db,
        "WITH s AS (SELECT sweep_id, min(started_at) AS first_start, max(finished_at) AS last_end FROM runs "
        "WHERE host = ? AND coalesce(device, '') LIKE ? AND started_at IS NOT NULL GROUP BY sweep_id), "
        "l AS (SELECT sweep_id, min(started_at) AS started_at, arg_min(finished_at, started_at) AS finished_at "
        "FROM launches WHERE kind = 'run' GROUP BY sweep_id) "
        "SELECT s.sweep_id, l.started_at IS NOT NULL AS launched_here, "
        "datediff('millisecond', coalesce(l.started_at, w.created_at), s.first_start) / 1000.0 AS before_s, "
        "datediff('millisecond', s.last_end, l.finished_at) / 1000.0 AS after_s "
        "FROM s JOIN sweeps w USING (sweep_id) LEFT JOIN l USING (sweep_id) ORDER BY w.created_at DESC LIMIT ?",
        [host, f"{device_kind}%", limit],
    )


def run_gaps(db: Path, host: str, device_kind: str, limit: int = 200) -> list[float]:
    """Seconds between one run's end and the next run's start on the same worker (building its trainer)."""
    rows = fetch(
        db,
        "SELECT datediff('millisecond', lag(finished_at) OVER w, started_at) / 1000.0 AS gap FROM runs "
        "WHERE host = ? AND coalesce(device, '') LIKE ? AND worker IS NOT NULL AND started_at IS NOT NULL "
        "WINDOW w AS (PARTITION BY sweep_id, worker ORDER BY started_at) ORDER BY started_at DESC LIMIT ?",
        [host, f"{device_kind}%", limit],
    )
    return [r["gap"] for r in rows if r["gap"] is not None and r["gap"] >= 0]
