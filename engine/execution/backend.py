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

from gst.engine.execution.options import LocalOptions, RayOptions, flag_fields
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
    diverged: list[RunFailed] = field(default_factory=list)
    journals: list[Path] = field(default_factory=list)

    def tracking(self, sink: Sink) -> Sink:
        """`sink`, also recording finished and failed runs here."""

        def track(event: Event) -> None:
            sink(event)
            if isinstance(event, RunFinished):
                self.finished.append(event)
            elif isinstance(event, RunFailed):
                kind = self.diverged if event.final else self.interrupted if event.interrupted else self.failed
                kind.append(event)

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


BackendOptions = LocalOptions | RayOptions
BACKENDS: dict[str, type[BackendOptions]] = {kind.name: kind for kind in (LocalOptions, RayOptions)}


def get_backend(name: str) -> type[BackendOptions]:
    """The option set of the backend called `name`; it checks its values and builds the backend."""
    kind = BACKENDS.get(name)
    if kind is None:
        raise SpecError(f"--backend: {name!r} is not a backend (allowed: {', '.join(BACKENDS)})")
    return kind


def backend_options(name: str, values: dict[str, Any]) -> BackendOptions:
    """The chosen backend's options from every backend's flag values; a flag of another backend that was
    changed from its default is a mistake, named with the backend it belongs to."""
    kind = get_backend(name)
    for other in BACKENDS.values():
        if other is kind:
            continue
        for f in flag_fields(other):
            if f.name in values and values[f.name] != f.default:
                raise SpecError(f"{f.metadata['flags'][0]}: only with --backend {other.name} (this sweep: {name})")
    own = {f.name: values[f.name] for f in flag_fields(kind) if f.name in values}
    return kind(**own)
