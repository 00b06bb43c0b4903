"""A job: one run to execute (spec, seed, id), and where it executes; what backends hand to the engine."""

from __future__ import annotations

from dataclasses import dataclass

from gst.engine.spec.specs import RunSpec

# One intra-op thread per run by default: a run's numbers depend on its thread count (the order of summation in
# convolution gradients and evaluation), so one seed gives one result whatever the layout (workers, --arms/--seeds
# subsets, in-process, Ray, resumed elsewhere). `--threads N` opts into more, recorded per run.
DEFAULT_THREADS = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One run to execute: spec, seed, the id its events carry, and how far the database has it."""

    run_id: str
    spec: RunSpec
    seed: int
    arm: str = ""
    recorded_epochs: int | None = None  # epochs the database holds; a checkpoint past them is not used
    threads: int | None = None  # CPU threads it trains with (None: DEFAULT_THREADS); recorded, kept on resume


@dataclass(frozen=True, slots=True, kw_only=True)
class Where:
    """Where a stack of jobs executes, recorded with each of its runs."""

    backend: str = "local"
    worker: str = "in-process"
    host: str = ""
    attempt: int = 1
