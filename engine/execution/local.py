"""The local backend: stacks train in this process, or on worker processes of this machine.

`local_backend` picks the layout (one worker per GPU with --gpus; on a CPU one worker per core, at most one per
stack); one worker means this process trains, with nothing spawned.
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
    """Where each worker trains (each run's CPU threads are its own: `Job.threads`)."""

    devices: tuple[str, ...]  # one entry per worker

    @property
    def size(self) -> int:
        """Number of workers."""
        return len(self.devices)


def plan_workers(device: str, workers: int | None, gpus: tuple[int, ...], jobs: int) -> WorkerPlan:
    """--gpus gives one worker per GPU; on CPU, `workers` processes (None: one per core).

    `jobs` counts the units of work (seed stacks), since a worker takes a whole stack.
    """
    if gpus:
        return WorkerPlan(devices=tuple(f"cuda:{g}" for g in gpus))
    if workers is None:
        workers = min(os.cpu_count() or 1, jobs) if device == "cpu" else 1
    return WorkerPlan(devices=(device,) * max(1, min(workers, jobs)))


class InProcessBackend:
    """Trains the stacks one after another in this process (no workers)."""

    name = "local"

    def __init__(self, options: ExecutionOptions, device: str) -> None:
        self.options = options
        self.device = device

    def describe(self, stacks: list[list[Job]]) -> str:
        """'cpu (1 worker)'."""
        return f"{self.device} (1 worker{stack_note(stacks)})"

    def run(self, stacks: list[list[Job]], sink: Sink) -> Outcome:
        """Every stack in turn; a failing run is recorded and the sweep goes on."""
        outcome = Outcome()
        track = outcome.tracking(sink)
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
        return InProcessBackend(options, plan.devices[0])
    from gst.engine.execution.pool import PoolBackend

    return PoolBackend(options, plan)
