"""Read paths of the TUI's runs browser: sweeps with a status and title, and runs of every sweep at once."""

from __future__ import annotations

from pathlib import Path

from gst.store.queries import Row, fetch


def sweep_list(db: Path) -> list[Row]:
    """Every sweep, newest first: title, run counts by status, and one overall status.

    The status is `running` while a run runs, else `interrupted` or `failed` when a run stopped that way
    (a resume can continue it), else `completed` when every run completed, else `queued`.
    """
    return fetch(
        db,
        "SELECT s.sweep_id, s.preset, coalesce(s.title, '') AS title, s.created_at, count(r.run_id) AS runs, "
        "count(*) FILTER (WHERE r.status = 'completed') AS completed, "
        "count(*) FILTER (WHERE r.status = 'running') AS running, "
        "count(*) FILTER (WHERE r.status = 'interrupted') AS interrupted, "
        "count(*) FILTER (WHERE r.status = 'failed') AS failed, "
        "CASE WHEN count(*) FILTER (WHERE r.status = 'running') > 0 THEN 'running' "
        "WHEN count(*) FILTER (WHERE r.status = 'interrupted') > 0 THEN 'interrupted' "
        "WHEN count(*) FILTER (WHERE r.status = 'failed') > 0 THEN 'failed' "
        "WHEN count(r.run_id) > 0 AND count(*) FILTER (WHERE r.status = 'completed') = count(r.run_id) THEN 'completed' "
        "ELSE 'queued' END AS status "
        "FROM sweeps s LEFT JOIN runs r USING (sweep_id) GROUP BY ALL ORDER BY s.created_at DESC",
    )


def run_list(db: Path, sweep_id: str | None) -> list[Row]:
    """Runs of one sweep (None: of every sweep), in sweep, arm and seed order."""
    return fetch(
        db,
        "SELECT run_id, sweep_id, arm, seed, status, label, epochs_done, epochs_total, final_test_acc, best_test_acc "
        "FROM runs WHERE (? IS NULL OR sweep_id = ?) ORDER BY sweep_id, arm, seed",
        [sweep_id, sweep_id],
    )
