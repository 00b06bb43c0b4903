"""Jobs and seed batches: which runs train together, and running one batch with failures turned into events.

Both the in-process runner and the worker processes run batches through `run_batch`.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gst.engine.errors import GstError, SpecError
from gst.engine.events import Event, RunFailed, RunFinished
from gst.engine.spec import RunSpec

MAX_STACK = 16  # default cap of seeds per stack on a GPU
STACK_IMAGES = 1024  # default: stack seeds until their combined batch reaches this many images


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One run to execute."""

    run_id: str
    arm: str
    seed: int
    spec: RunSpec


def default_batch_seeds(device: str, spec: RunSpec) -> int:
    """Seeds trained as one stack when --batch-seeds is not given.

    On a GPU, small batches leave it idle, so seeds stack until their combined batch is about
    STACK_IMAGES images (batch 3: 16 seeds; batch 128: 8). On a CPU the compute is already saturated
    and stacked convolutions are slower, so seeds run as parallel single-thread workers instead.
    """
    if not device.startswith("cuda"):
        return 1
    return max(1, min(MAX_STACK, STACK_IMAGES // spec.resolved_batch_size))


def batch_jobs(jobs: list[Job], batch_seeds: int | None, device: str) -> list[list[Job]]:
    """Consecutive jobs of one arm (same spec), in groups of at most `batch_seeds` (None: the device default)."""
    if batch_seeds is not None and batch_seeds < 1:
        raise SpecError(f"--batch-seeds: {batch_seeds} must be >= 1")
    batches: list[list[Job]] = []
    for job in jobs:
        size = batch_seeds or default_batch_seeds(device, job.spec)
        last = batches[-1] if batches else None
        if last and last[0].arm == job.arm and last[0].spec == job.spec and len(last) < size:
            last.append(job)
        else:
            batches.append([job])
    return batches


def run_batch(
    batch: list[Job],
    emit: Callable[[Event], None],
    *,
    device: str,
    data_dir: Path | None,
    checkpoint: Callable[[str], Path | None],
) -> None:
    """Train a batch (one run, or seeds stacked); a failure becomes RunFailed for each run it did not finish.

    Ctrl-C marks the unfinished runs interrupted and re-raises.
    """
    from gst.engine.run import RunRequest, execute_group

    done: set[str] = set()

    def forward(event: Event) -> None:
        if isinstance(event, RunFinished):
            done.add(event.run_id)
        emit(event)

    def fail(error: str, interrupted: bool = False) -> None:
        for job in batch:
            if job.run_id not in done:
                emit(RunFailed(run_id=job.run_id, error=error, interrupted=interrupted))

    try:
        execute_group(
            [RunRequest(run_id=j.run_id, spec=j.spec, seed=j.seed) for j in batch],
            device=device,
            data_dir=data_dir,
            emit=forward,
            checkpoint_paths=[checkpoint(j.run_id) for j in batch],
        )
    except KeyboardInterrupt:
        fail("interrupted by the user", interrupted=True)
        raise
    except GstError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a crashing run must not lose the sweep
        fail(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}")
