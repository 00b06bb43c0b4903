"""Registering a sweep and its runs, and reading back which runs a resume must still train."""

from __future__ import annotations

import json
import subprocess
from importlib.metadata import version
from pathlib import Path

from gst import engine
from gst.engine.spec.errors import GstError, StoreError
from gst.engine.spec.job import Job
from gst.engine.spec.journal import HOST, now
from gst.engine.spec.preset import Sweep
from gst.engine.spec.specs import spec_from_dict, spec_hash, spec_to_dict
from gst.store import queries
from gst.store.rows import RunRow, SweepRow
from gst.store.sql import fetch
from gst.store.writer import StoreWriter, catch_up, pid_alive


def git_rev() -> str | None:
    """The gst source's git revision, when it is a checkout."""
    root = Path(engine.__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def check_new_sweep(db: Path, sweep_id: str) -> None:
    """StoreError if the database already holds a sweep with this id: a sweep is created once (`gst resume`
    continues one)."""
    if not db.is_file():
        return
    found = fetch(db, "SELECT created_at, preset FROM sweeps WHERE sweep_id = ?", [sweep_id])
    if found:
        raise StoreError(
            f"--sweep-id {sweep_id}: {db} already holds sweep {sweep_id} ({found[0]['preset']}, created "
            f"{str(found[0]['created_at'])[:19]}); `gst resume {sweep_id}` continues it, or choose another id"
        )


def register(
    writer: StoreWriter,
    sweep: Sweep,
    sweep_id: str,
    jobs: list[Job],
    device: str,
    flush: bool = True,
    check_new: bool = True,
    created_at: str | None = None,
) -> None:
    """Journal the sweep (with its --set overrides) and its queued runs, and write them now (or with the writer's
    next flush).

    With `check_new`, a sweep id that is already in the database is refused before anything is journaled.
    Registering again (`check_new=False` and the first one's `created_at`, to complete a registration a signal
    cut) repeats the same rows, so it changes nothing that was written and keeps the runs' statuses.
    """
    if check_new:
        check_new_sweep(writer.db_path, sweep_id)
    writer.record_row(
        SweepRow(
            sweep_id=sweep_id, preset=sweep.name, created_at=created_at or now(), preset_toml=sweep.toml,
            overrides=json.dumps(list(sweep.overrides)) if sweep.overrides else None,
            gst_version=version("gst"), git_rev=git_rev(), host=HOST, device=device,
            title=sweep.title, description=sweep.description, expect=sweep.expect,
        )
    )  # fmt: skip
    for job in jobs:
        writer.record_row(
            RunRow(
                run_id=job.run_id, sweep_id=sweep_id, arm=job.arm, seed=job.seed, status="queued",
                model=job.spec.model, dataset=job.spec.dataset,
                spec_json=json.dumps(spec_to_dict(job.spec), sort_keys=True), spec_hash=spec_hash(job.spec),
                label=job.spec.label, epochs_total=job.spec.epochs,
            )
        )  # fmt: skip
    if flush:
        writer.flush(timeout=30.0)


def resumable_jobs(db: Path, sweep_id: str) -> list[Job]:
    """The runs of a sweep that still need training, rebuilt from their stored specs.

    Journals left by dead processes are applied first. A run counts as done when it is `completed` with every
    epoch of its spec stored, or `diverged` (it would diverge again); any other run resumes from a checkpoint no
    newer than the epochs stored contiguously from 1 (so that no measurement can be missing), or from scratch,
    with the CPU threads it started with (its numbers depend on them).
    """
    catch_up(db)
    queries.sweep(db, sweep_id)
    jobs = []
    stored = {
        r["run_id"]: r["epochs"]
        for r in fetch(
            db,
            "SELECT run_id, list(epoch ORDER BY epoch) AS epochs FROM epochs "
            "WHERE run_id IN (SELECT run_id FROM runs WHERE sweep_id = ?) GROUP BY run_id",
            [sweep_id],
        )
    }
    for row in fetch(
        db,
        "SELECT run_id, arm, seed, status, spec_json, pid, host, epochs_total, threads FROM runs WHERE sweep_id = ? "
        "ORDER BY arm, seed",
        [sweep_id],
    ):
        recorded = contiguous(stored.get(row["run_id"], []))
        if (row["status"] == "completed" and recorded >= row["epochs_total"]) or row["status"] == "diverged":
            continue  # a diverged run would diverge again: it is a result, not unfinished work
        if row["status"] == "running" and row["host"] == HOST and row["pid"] and pid_alive(row["pid"]):
            raise GstError(f"run {row['run_id']} is still running in process {row['pid']}; stop it before resuming")
        spec = spec_from_dict(json.loads(row["spec_json"]), f"run {row['run_id']}")
        jobs.append(
            Job(
                run_id=row["run_id"], arm=row["arm"], seed=row["seed"], spec=spec, recorded_epochs=recorded,
                threads=row["threads"],  # a resumed run keeps its thread count (None: it never started)
            )
        )  # fmt: skip
    return jobs


def contiguous(epochs: list[int]) -> int:
    """How many epochs are stored without a gap from epoch 1."""
    count = 0
    for epoch in epochs:
        if epoch != count + 1:
            break
        count = epoch
    return count
