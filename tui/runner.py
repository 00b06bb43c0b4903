"""Runs sweeps: registers them in the store, executes each run, and turns failures into run statuses.

The CLI calls this in-process; the TUI launches `gst run` as a background process that does the same.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from gst import engine
from gst.engine.errors import GstError, SpecError
from gst.engine.events import Event, RunFailed, RunFinished
from gst.engine.preset import Sweep
from gst.engine.spec import PRECISIONS, spec_from_dict, spec_hash, spec_to_dict
from gst.store import queries
from gst.store.db import files_dir
from gst.store.writer import HOST, StoreWriter, catch_up, now, pid_alive
from gst.tui.batches import Job, run_batch
from gst.tui.workers import WorkerPlan, run_parallel

Observer = Callable[[Event], None]


@dataclass
class Outcome:
    """What happened to a sweep's runs in this process."""

    sweep_id: str
    finished: list[RunFinished] = field(default_factory=list)
    failed: list[RunFailed] = field(default_factory=list)


def parse_list(text: str | None, what: str) -> list[str] | None:
    """Split '0,1,2' style option values."""
    if text is None:
        return None
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise SpecError(f"--{what}: empty list")
    return items


def select_jobs(
    sweep: Sweep, sweep_id: str, arms: list[str] | None, seeds: list[str] | None, precision: str | None = None
) -> list[Job]:
    """Expand arms x seeds, keeping only the chosen ones (errors name the allowed values); --precision applies to all."""
    if precision is not None and precision not in PRECISIONS:
        raise SpecError(f"--precision: {precision!r} is not allowed (allowed: {', '.join(PRECISIONS)})")
    chosen_arms = [sweep.arm(a) for a in arms] if arms else list(sweep.arms)
    if seeds is None:
        chosen_seeds = list(sweep.seeds)
    else:
        if not all(s.isdigit() for s in seeds):
            raise SpecError(f"--seeds: {','.join(seeds)} must be integers >= 0, for example 0,1,2")
        chosen_seeds = [int(s) for s in seeds]
    specs = {a.name: replace(a.spec, precision=precision) if precision else a.spec for a in chosen_arms}  # type: ignore[arg-type]
    return [
        Job(run_id=f"{sweep_id}-{a.name}-{s}", arm=a.name, seed=s, spec=specs[a.name])
        for a in chosen_arms
        for s in chosen_seeds
    ]


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


def register(writer: StoreWriter, sweep: Sweep, sweep_id: str, jobs: list[Job], device: str) -> None:
    """Journal the sweep and its queued runs, and write them now."""
    from importlib.metadata import version

    writer.record(
        {
            "op": "sweep",
            "sweep": {
                "sweep_id": sweep_id, "preset": sweep.name, "created_at": now(), "preset_toml": sweep.toml, "overrides": json.dumps(sweep.overrides),
                "gst_version": version("gst"), "git_rev": git_rev(), "host": HOST, "device": device,
                "title": sweep.title, "description": sweep.description, "expect": sweep.expect,
            },
        }
    )  # fmt: skip
    for job in jobs:
        spec_json = json.dumps(spec_to_dict(job.spec), sort_keys=True)
        writer.record(
            {
                "op": "run",
                "run": {
                    "run_id": job.run_id, "sweep_id": sweep_id, "arm": job.arm, "seed": job.seed, "status": "queued",
                    "model": job.spec.model, "dataset": job.spec.dataset, "spec_json": spec_json,
                    "spec_hash": spec_hash(job.spec), "label": job.spec.label, "epochs_total": job.spec.epochs,
                },
            }
        )  # fmt: skip
    writer.flush(timeout=30.0)


def new_sweep_id() -> str:
    """Eight hex digits."""
    return uuid.uuid4().hex[:8]


SWEEP_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def check_sweep_id(sweep_id: str) -> str:
    """A user-chosen sweep id, if well formed."""
    if not SWEEP_ID.match(sweep_id):
        raise SpecError(f"--sweep-id: {sweep_id!r} must be 1-40 letters, digits, '-' or '_'")
    return sweep_id


def checkpoint_path(db: Path, run_id: str) -> Path:
    """Where a run's latest checkpoint lives."""
    return files_dir(db) / "checkpoints" / f"{run_id}.pt"


def execute_jobs(
    batches: list[list[Job]],
    writer: StoreWriter,
    *,
    device: str,
    data_dir: Path | None,
    observer: Observer,
    sweep_id: str,
    keep_checkpoints: bool = False,
    workers: WorkerPlan | None = None,
) -> Outcome:
    """Run seed batches (see `batch_jobs`) in this process or on several workers; a failing run is recorded
    and the sweep goes on.

    Ctrl-C marks the runs in progress interrupted, writes everything measured, and re-raises.
    """
    outcome = Outcome(sweep_id=sweep_id)

    def emit(event: Event) -> None:
        writer.handle(event)
        observer(event)
        if isinstance(event, RunFinished):
            outcome.finished.append(event)
            if not keep_checkpoints:
                checkpoint_path(writer.db_path, event.run_id).unlink(missing_ok=True)
        elif isinstance(event, RunFailed) and not event.interrupted:
            outcome.failed.append(event)

    checkpoint = functools.partial(checkpoint_path, writer.db_path)
    try:
        if workers is not None and workers.size > 1:
            run_parallel(batches, workers, emit, data_dir=data_dir, checkpoint=checkpoint)
        else:
            for batch in batches:
                run_batch(batch, emit, device=device, data_dir=data_dir, checkpoint=checkpoint)
    finally:
        writer.close()
    return outcome


def resumable_jobs(db: Path, sweep_id: str) -> list[Job]:
    """The runs of a sweep that are not completed, rebuilt from their stored specs."""
    catch_up(db)
    queries.sweep(db, sweep_id)
    jobs = []
    for row in queries.fetch(
        db,
        "SELECT run_id, arm, seed, status, spec_json, pid, host FROM runs WHERE sweep_id = ? ORDER BY arm, seed",
        [sweep_id],
    ):
        if row["status"] == "completed":
            continue
        if row["status"] == "running" and row["host"] == HOST and row["pid"] and pid_alive(row["pid"]):
            raise GstError(f"run {row['run_id']} is still running in process {row['pid']}; stop it before resuming")
        spec = spec_from_dict(json.loads(row["spec_json"]), f"run {row['run_id']}")
        jobs.append(Job(run_id=row["run_id"], arm=row["arm"], seed=row["seed"], spec=spec))
    return jobs
