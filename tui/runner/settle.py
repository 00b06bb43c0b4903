"""A sweep that stops early (Ctrl-C, SIGTERM, an error) still leaves every run with a true status.

An interrupt can land between a producer's journal line and the sink (in this process, or between a worker's
queue and the sink), or before a stack ever started. So the runner keeps track of what reached the writer, and
when the sweep stops: every event this process's producers journaled that the writer never got is queued, and
every run without a final event gets one (interrupted, naming the signal; or failed, naming the error).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gst.engine.execution import stop
from gst.engine.spec.errors import GstError
from gst.engine.spec.events import Event, RunFailed, RunFinished, RunStarted, event_from_dict
from gst.engine.spec.job import Job
from gst.engine.spec.journal import event_op
from gst.store.writer import StoreWriter


def event_key(event: Event) -> tuple[str, str, int | None, str | None]:
    """What makes an event one row's worth: its type, run, epoch and layer."""
    return type(event).__name__, event.run_id, getattr(event, "epoch", None), getattr(event, "layer", None)


@dataclass
class Seen:
    """The events that reached the writer, by key; runs started and ended."""

    keys: set[tuple[str, str, int | None, str | None]] = field(default_factory=set)
    started: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)

    def add(self, event: Event) -> None:
        """Count `event` as written (call after the writer queued it: an interrupt before leaves it missed)."""
        self.keys.add(event_key(event))
        if isinstance(event, RunStarted):
            self.started.add(event.run_id)
        elif isinstance(event, RunFinished | RunFailed):
            self.ended.add(event.run_id)

    def missed(self, event: Event) -> bool:
        """Whether a journaled event still has to be written: a measurement not seen, a RunStarted of a run neither
        started nor ended here (replayed after its end it would make it `running` again), a final event of a run
        not ended."""
        if isinstance(event, RunStarted):
            return event.run_id not in self.started and event.run_id not in self.ended
        if isinstance(event, RunFinished | RunFailed):
            return event.run_id not in self.ended
        return event_key(event) not in self.keys


def producer_events(folder: Path, own: Path) -> Iterator[Event]:
    """Every event in the journals of this process's producers (itself training, its workers), in order; `own`,
    the writer's journal of registrations, is skipped, and so is a torn last line."""
    for journal in sorted(folder.glob(f"{os.getpid()}-*-*.jsonl")):
        if journal == own:
            continue
        for line in journal.read_text(errors="replace").splitlines():
            try:
                yield event_from_dict(json.loads(line)["event"])
            except (ValueError, KeyError, TypeError):
                continue


def stopped_error(stopped: BaseException) -> tuple[str, bool]:
    """(error, interrupted) for the runs a stopped sweep never ended."""
    if isinstance(stopped, KeyboardInterrupt):
        return stop.reason(), True
    text = str(stopped) if isinstance(stopped, GstError) else f"{type(stopped).__name__}: {stopped}"
    return f"the sweep stopped: {text.strip().splitlines()[0] if text.strip() else type(stopped).__name__}", False


def settle(
    writer: StoreWriter, seen: Seen, jobs: list[Job], stopped: BaseException, observer: Callable[[Event], None]
) -> None:
    """Queue what the producers journaled but the writer missed, then a final event for each run without one.

    Nothing is flushed here (the caller's final flush writes it all at once); the final events are journaled by the
    writer, so a database that stays locked gets them from the journal later.
    """
    for event in producer_events(writer.journal.path.parent, writer.journal.path):
        if seen.missed(event):
            writer.queue(event)
            seen.add(event)
            observer(event)
    error, interrupted = stopped_error(stopped)
    for job in jobs:
        if job.run_id not in seen.ended:
            failed = RunFailed(run_id=job.run_id, error=error, interrupted=interrupted)
            writer.record(event_op(failed))
            seen.add(failed)
            observer(failed)
