"""The execution layer's one interface: a Backend runs seed stacks and streams their events into one sink.

The sink lives in the launching process (the CLI connects it to the store's writer and the progress display);
backends differ only in where stacks train: this process, local worker processes, or a Ray cluster.
Durability is the same everywhere: producers journal events before checkpointing (see `run_stack`), and
`Outcome.journals` lists the journal files the caller deletes once the events are in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gst.engine.execution.jobs import ExecOptions
from gst.engine.spec.errors import SpecError
from gst.engine.spec.events import Event, RunFailed, RunFinished
from gst.engine.spec.job import Job

Sink = Callable[[Event], None]


@dataclass
class Outcome:
    """What happened to the runs a backend executed."""

    finished: list[RunFinished] = field(default_factory=list)
    failed: list[RunFailed] = field(default_factory=list)
    interrupted: list[RunFailed] = field(default_factory=list)
    journals: list[Path] = field(default_factory=list)

    def tracking(self, sink: Sink) -> Sink:
        """`sink`, also recording finished and failed runs here."""

        def track(event: Event) -> None:
            sink(event)
            if isinstance(event, RunFinished):
                self.finished.append(event)
            elif isinstance(event, RunFailed):
                (self.interrupted if event.interrupted else self.failed).append(event)

        return track


class Backend(Protocol):
    """Runs stacks; every event reaches `sink` in the calling process, in arrival order.

    A run that fails gets RunFailed and the others go on. Ctrl-C (or SIGTERM turned into KeyboardInterrupt)
    makes every run in progress end with RunFailed(interrupted=True), then re-raises.
    """

    name: str

    def describe(self, stacks: list[list[Job]]) -> str:
        """One line for the user: where and how the stacks will train."""
        ...

    def run(self, stacks: list[list[Job]], sink: Sink) -> Outcome:
        """Execute every stack."""
        ...


BACKENDS = ("local", "ray")


def get_backend(name: str, options: ExecOptions, **settings: Any) -> Backend:
    """The backend called `name`, configured by its own settings (each backend names what it takes).

    local: `workers` (None: one per core on CPU, one on a GPU), `gpus` (one worker per GPU); one worker trains
    in this process. ray: see gst.engine.execution.ray_cluster (imported only when asked for).
    """
    if name == "local":
        from gst.engine.execution.local import local_backend

        return local_backend(options, **settings)
    if name == "ray":
        from gst.engine.execution.ray_cluster import RayBackend  # type: ignore[import-not-found]

        return RayBackend(options, **settings)  # type: ignore[no-any-return]
    raise SpecError(f"--backend: {name!r} is not a backend (allowed: {', '.join(BACKENDS)})")
