"""Jobs and seed stacks: which runs a backend executes, and which train together as one stacked network."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from pathlib import Path

from gst.engine.spec.errors import SpecError
from gst.engine.spec.job import Job
from gst.engine.spec.preset import Sweep, repeated
from gst.engine.spec.specs import PRECISIONS, RunSpec
from gst.engine.spec.validate import SEED_MAX

MAX_STACK = 16  # default cap of seeds per stack on a GPU
STACK_IMAGES = 1024  # default: stack seeds until their combined stack reaches this many images


def checkpoint_file(folder: Path, run_id: str) -> Path:
    """A run's newest checkpoint (the previous one sits beside it as `<run>.prev.pt`)."""
    return folder / f"{run_id}.pt"


def default_stack_size(device: str, spec: RunSpec) -> int:
    """Seeds trained as one stack when --stack-seeds is not given.

    On a GPU, small stacks leave it idle, so seeds stack until their combined stack is about
    STACK_IMAGES images (stack 3: 16 seeds; stack 128: 8). On a CPU the compute is already saturated
    and stacked convolutions are slower, so seeds run as parallel single-thread workers instead.
    """
    if not device.startswith("cuda"):
        return 1
    return max(1, min(MAX_STACK, STACK_IMAGES // spec.resolved_batch_size))


def stack_jobs(jobs: list[Job], stack_seeds: int | None, device: str) -> list[list[Job]]:
    """Consecutive jobs of one arm (same spec and threads), in groups of at most `stack_seeds` (None: the device
    default)."""
    if stack_seeds is not None and stack_seeds < 1:
        raise SpecError(f"--stack-seeds: {stack_seeds} must be >= 1")
    stacks: list[list[Job]] = []
    for job in jobs:
        size = stack_seeds or default_stack_size(device, job.spec)
        last = stacks[-1] if stacks else None
        same = last and last[0].arm == job.arm and last[0].spec == job.spec and last[0].threads == job.threads
        if last and same and len(last) < size:
            last.append(job)
        else:
            stacks.append([job])
    return stacks


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
    if arms and repeated(arms) is not None:
        raise SpecError(f"--arms: {','.join(arms)} names arm {repeated(arms)!r} twice (each arm once)")
    chosen_arms = [sweep.arm(a) for a in arms] if arms else list(sweep.arms)
    if seeds is None:
        chosen_seeds = list(sweep.seeds)
    else:
        if not all(s.isdigit() and int(s) <= SEED_MAX for s in seeds):
            raise SpecError(f"--seeds: {_cut(','.join(seeds))} must be integers in 0..{SEED_MAX}, for example 0,1,2")
        chosen_seeds = [int(s) for s in seeds]
        if repeated(chosen_seeds) is not None:
            raise SpecError(f"--seeds: {_cut(','.join(seeds))} repeats seed {repeated(chosen_seeds)} (each seed once)")
    specs = {a.name: replace(a.spec, precision=precision) if precision else a.spec for a in chosen_arms}
    return [
        Job(run_id=f"{sweep_id}-{a.name}-{s}", arm=a.name, seed=s, spec=specs[a.name])
        for a in chosen_arms
        for s in chosen_seeds
    ]


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def new_sweep_id() -> str:
    """Eight hex digits."""
    return uuid.uuid4().hex[:8]


SWEEP_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def check_sweep_id(sweep_id: str) -> str:
    """A user-chosen sweep id, if well formed."""
    if not SWEEP_ID.match(sweep_id):
        raise SpecError(f"--sweep-id: {sweep_id!r} must be 1-40 letters, digits, '-' or '_'")
    return sweep_id
