"""Connects the execution layer to the store: register a sweep, run its stacks on a backend, and write every
event through this process's one StoreWriter.

The CLI (`gst run`, `gst resume`) calls this; the TUI launches `gst run` as a background process that does
the same. Which runs, in which stacks, on which backend, with which durability: gst.engine.execution.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from gst.engine.cadence import CheckpointEvery
from gst.engine.execution.backend import Backend, Outcome, get_backend
from gst.engine.execution.jobs import ExecOptions, check_sweep_id, new_sweep_id, stack_jobs
from gst.engine.spec.errors import GstError, SpecError
from gst.engine.spec.events import Event
from gst.engine.spec.job import Job
from gst.engine.spec.preset import Sweep
from gst.store.db import files_dir
from gst.store.register import register
from gst.store.writer import StoreWriter
from gst.tui.cli.execution_flags import ExecutionArgs

__all__ = ["GstError", "check_sweep_id", "execute_sweep", "new_sweep_id", "plan_execution"]
Observer = Callable[[Event], None]


def exec_options(ex: ExecutionArgs) -> ExecOptions:
    """The engine's view of the user's options: devices, data, checkpoint folder and cadence, journals."""
    return ExecOptions(
        device=ex.device,
        data_dir=ex.data_dir,
        checkpoint_dir=(ex.checkpoint_dir or files_dir(ex.db) / "checkpoints").expanduser().resolve(),
        journal_dir=files_dir(ex.db) / "journal",
        checkpoint_every=CheckpointEvery.parse(ex.checkpoint_every, keep_final=ex.keep_checkpoints),
        keep_checkpoints=ex.keep_checkpoints,
    )


def plan_execution(jobs: list[Job], ex: ExecutionArgs) -> tuple[Backend, list[list[Job]]]:
    """The backend and the seed stacks for these jobs (every option checked before anything is written)."""
    from gst.engine.device import resolve_device
    from gst.engine.execution.local import parse_gpus

    options = exec_options(ex)
    if ex.backend == "ray":
        stacks = stack_jobs(jobs, ex.stack_seeds, "cuda" if ex.gpus_per_stack else "cpu")
        settings = ray_settings(ex)
    else:
        device = str(resolve_device(ex.device))
        gpus = parse_gpus(ex.gpus)
        stacks = stack_jobs(jobs, ex.stack_seeds, f"cuda:{gpus[0]}" if gpus else device)
        settings = {"workers": ex.workers, "gpus": gpus, "stacks": len(stacks), "max_attempts": ex.max_attempts}
    return get_backend(ex.backend, options, **settings), stacks


def ray_settings(ex: ExecutionArgs) -> dict[str, object]:
    """What the Ray backend takes from the user's options (the local layout options do not apply there)."""
    for name, value in (("workers", ex.workers), ("gpus", ex.gpus)):
        if value is not None:
            raise SpecError(f"--{name}: only with --backend local (on Ray: --cpus-per-stack, --gpus-per-stack)")
    return {
        "address": ex.address,
        "gpus_per_stack": ex.gpus_per_stack,
        "cpus_per_stack": ex.cpus_per_stack,
        "max_attempts": ex.max_attempts,
    }


def check_database(db: Path) -> None:
    """StoreError now if the database cannot be written where the user pointed (missing or read-only folder)."""
    from gst.engine.spec.errors import StoreError
    from gst.store.db import check_writable

    if db.parent and str(db.parent) and not db.parent.exists():
        raise StoreError(f"{db}: folder {db.parent} does not exist")
    check_writable(db)


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
    its workers are deleted once everything is in the database."""
    writer = StoreWriter(db)
    writer.open()
    if sweep is not None:
        register(writer, sweep, sweep_id, [job for stack in stacks for job in stack], device)

    def sink(event: Event) -> None:
        writer.handle(event)
        observer(event)

    outcome = Outcome()
    try:
        outcome = backend.run(stacks, sink)
        return outcome
    finally:
        if writer.close():
            for journal in (files_dir(db) / "journal").glob(f"{os.getpid()}-*.jsonl"):
                journal.unlink(missing_ok=True)
            for journal in outcome.journals:  # a remote task's journal sits in a folder of its own
                journal.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    journal.parent.rmdir()
