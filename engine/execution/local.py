"""The local backend: stacks train in this process, or on worker processes of this machine.

`local_backend` picks the layout (one worker per GPU with --gpus; on a CPU one single-thread worker per core,
at most one per stack); one worker means this process trains, with nothing spawned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gst.engine.execution.backend import Backend, Outcome, Sink
from gst.engine.execution.options import ExecutionOptions
from gst.engine.execution.run_stack import run_stack
from gst.engine.spec.errors import DeviceError
from gst.engine.spec.job import Job


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerPlan:
    """Where each worker trains and with how many CPU threads."""

    devices: tuple[str, ...]  # one entry per worker
    threads: int

    @property
    def size(self) -> int:
        """Number of workers."""
        return len(self.devices)


def plan_workers(device: str, workers: int | None, gpus: tuple[int, ...], jobs: int) -> WorkerPlan:
    """--gpus gives one worker per GPU; on CPU, `workers` single-thread processes (None: one per core).

    `jobs` counts the units of work (seed stacks), since a worker takes a whole stack.
    """
    cores = os.cpu_count() or 1
    if gpus:
        return WorkerPlan(devices=tuple(f"cuda:{g}" for g in gpus), threads=max(1, cores // len(gpus)))
    asked = workers
    if workers is None:
        workers = min(cores, jobs) if device == "cpu" else 1
    workers = max(1, min(workers, jobs))
    # threads follow what was asked, not what is left: a resumed sweep with one run to go trains it with the
    # threads it had (summation order, and so the numbers, depend on the thread count)
    return WorkerPlan(devices=(device,) * workers, threads=max(1, cores // (asked or workers)))


class InProcessBackend:
    """Trains the stacks one after another in this process (no workers)."""

    name = "local"

    def __init__(self, options: ExecutionOptions, device: str, threads: int | None = None) -> None:
        self.options = options
        self.device = device
        self.threads = threads

    def describe(self, stacks: list[list[Job]]) -> str:
        """'cpu (1 worker)'."""
        return f"{self.device} (1 worker{stack_note(stacks)})"

    def run(self, stacks: list[list[Job]], sink: Sink) -> Outcome:
        """Every stack in turn; a failing run is recorded and the sweep goes on."""
        outcome = Outcome()
        track = outcome.tracking(sink)
        if self.threads is not None and self.device == "cpu":
            import torch

            torch.set_num_threads(self.threads)
        for stack in stacks:
            outcome.journals.append(run_stack(stack, track, self.options, device=self.device))
        return outcome


def stack_note(stacks: list[list[Job]]) -> str:
    """', up to N seeds stacked' when some stack stacks seeds."""
    stacked = max((len(b) for b in stacks), default=1)
    return f", up to {stacked} seeds stacked" if stacked > 1 else ""


def local_backend(
    options: ExecutionOptions,
    *,
    workers: int | None = None,
    gpus: tuple[int, ...] = (),
    stacks: int = 1,
) -> Backend:
    """The in-process backend, or the worker pool when more than one worker is planned."""
    from gst.engine.device import resolve_device

    device = str(resolve_device(options.device))
    plan = plan_workers(device, workers, gpus, stacks)
    if device.startswith("cuda") and plan.size > 1 and not gpus:
        raise DeviceError(
            "--workers: several workers on one GPU are not supported; use --gpus 0,1,... for one worker per GPU"
        )
    if plan.size == 1:
        return InProcessBackend(options, plan.devices[0], threads=plan.threads if workers else None)
    from gst.engine.execution.pool import PoolBackend

    return PoolBackend(options, plan)
