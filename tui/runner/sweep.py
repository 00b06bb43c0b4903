"""Connects the execution layer to the store: register a sweep, run its stacks on a backend, and write every
event through this process's one StoreWriter.

The CLI (`gst run`, `gst resume`) calls it in-process; the app launches the same thing as a background process
(`gst.tui.runner.background`). Which runs, in which stacks, on which backend, with which durability:
gst.engine.execution.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from gst.engine.execution import stop
from gst.engine.execution.backend import Backend, BackendOptions, Outcome
from gst.engine.execution.jobs import stack_jobs
from gst.engine.execution.options import ExecutionOptions
from gst.engine.spec.errors import StoreError
from gst.engine.spec.events import Event
from gst.engine.spec.job import Job
from gst.engine.spec.journal import now
from gst.engine.spec.preset import Sweep
from gst.store.db import check_database as trust_database
from gst.store.db import check_writable, files_dir
from gst.store.register import check_new_sweep, register
from gst.store.writer import StoreWriter
from gst.tui.runner.settle import Seen, settle

Observer = Callable[[Event], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSettings:
    """How the user asked a sweep to execute: its database, the options every backend shares, the backend's own."""

    db: Path
    execution: ExecutionOptions
    backend: BackendOptions


def resolved_options(settings: SweepSettings) -> ExecutionOptions:
    """The shared options with the durable folders filled in: checkpoints, journals and crash logs beside the
    database."""
    options = settings.execution
    checkpoints = options.checkpoint_dir or files_dir(settings.db) / "checkpoints"
    files = files_dir(settings.db)
    return replace(
        options,
        checkpoint_dir=checkpoints.expanduser().resolve(),
        journal_dir=files / "journal",
        log_dir=(files / "logs").expanduser().resolve(),
    )


def plan_execution(jobs: list[Job], settings: SweepSettings) -> tuple[Backend, list[list[Job]]]:
    """The backend and the seed stacks for these jobs (every option checked before anything is written); a job
    without a thread count of its own (a new run, or one that never started) takes --threads."""
    options = resolved_options(settings)
    options.check()
    jobs = [job if job.threads else replace(job, threads=options.threads) for job in jobs]
    stacks = stack_jobs(jobs, options.stack_seeds, settings.backend.stack_device(options))
    return settings.backend.build(options, len(stacks)), stacks


def check_database(db: Path, sweep_id: str | None = None) -> None:
    """StoreError now, before anything is written or printed, if the database cannot take this sweep: a folder
    that is missing or read-only, a file that is not a gst database this gst can trust or write, or (when
    `sweep_id` names a new sweep) an id the database already holds."""
    if db.parent and str(db.parent) and not db.parent.exists():
        raise StoreError(f"{db}: folder {db.parent} does not exist")
    check_writable(db)
    trust_database(db, write=True)
    if sweep_id is not None:
        check_new_sweep(db, sweep_id)


def execute_sweep(
    backend: Backend,
    stacks: list[list[Job]],
    *,
    db: Path,
    observer: Observer,
    sweep: Sweep | None = None,
    sweep_id: str,
    device: str,
) -> Outcome:
    """Register the sweep (when new), run its stacks, write every event; the journals of this process and
    its workers are deleted once everything is in the database.

    Interrupted (Ctrl-C, SIGTERM) at any moment, registration included, every run ends with a true status: what
    this process's producers journaled but the sink never got is replayed, each run without a final event is
    marked interrupted (its error names the signal), and all of it is written before the interrupt goes on;
    further signals meanwhile are held (`stop.held`)."""
    jobs = [job for stack in stacks for job in stack]
    writer = StoreWriter(db)
    writer.open()
    seen = Seen()
    refused = False
    created_at = now()  # both registrations below write the same sweep row

    def sink(event: Event) -> None:
        writer.handle(event)
        seen.add(event)  # after the writer has it: an interrupt in between leaves it to `settle`
        observer(event)

    outcome = Outcome()
    stopped: BaseException | None = None
    try:
        if sweep is not None:
            try:
                register(writer, sweep, sweep_id, jobs, device, created_at=created_at)
            except StoreError:  # refused (another process took the id meanwhile): nothing of it may be replayed
                refused = True
                writer.journal.delete()
                raise
        outcome = backend.run(stacks, sink)
        return outcome
    except BaseException as exc:
        stopped = exc
        raise
    finally:
        with stop.held():
            if stopped is not None and not refused:
                if sweep is not None:  # completes a registration the signal cut, keeping statuses
                    register(writer, sweep, sweep_id, jobs, device, flush=False, check_new=False, created_at=created_at)
                settle(writer, seen, jobs, stopped, observer)
            if writer.close():
                for journal in (files_dir(db) / "journal").glob(f"{os.getpid()}-*.jsonl"):
                    journal.unlink(missing_ok=True)
                for journal in outcome.journals:  # a remote task's journal sits in a folder of its own
                    journal.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):
                        journal.parent.rmdir()
