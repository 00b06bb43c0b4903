"""Running one seed stack wherever it executes: durable journal first, checkpoints after, failures as events.

Every backend (in-process, worker processes, Ray tasks) trains a stack through `run_stack`.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from pathlib import Path

from gst.engine.execution import stop
from gst.engine.execution.jobs import checkpoint_file
from gst.engine.execution.options import ExecutionOptions
from gst.engine.spec.errors import GstError
from gst.engine.spec.events import Event, RunFailed, RunFinished
from gst.engine.spec.job import Job, Where
from gst.engine.spec.journal import HOST, JournalFile, event_op, now

Sink = Callable[[Event], None]


def run_stack(
    stack: list[Job],
    sink: Sink,
    options: ExecutionOptions,
    *,
    device: str,
    where: Where | None = None,
    owner_pid: int | None = None,
    allowed: Callable[[], bool] = lambda: True,
) -> Path:
    """Train a stack (one run, or seeds stacked); a failure becomes RunFailed for each run it did not finish.

    Each event is journaled (the write-ahead log) before it reaches `sink`; a checkpoint of epoch t is written
    only after the journal is synced, so it never runs ahead of a durable measurement. Returns the journal's
    path: its owner deletes it once the events are in the database. Ctrl-C marks the unfinished runs
    interrupted (after writing their last snapshots) and re-raises.
    """
    from gst.engine.checkpoint import Checkpointer  # torch: imported when a stack trains, not with the backends
    from gst.engine.train_job import execute_stack

    journal = JournalFile(options.journals, owner_pid)
    done: set[str] = set()
    keepers = {
        job.run_id: Checkpointer(
            checkpoint_file(options.checkpoints, job.run_id),
            options.cadence,
            barrier=journal.sync,
            allowed=allowed,
        )
        for job in stack
    }

    def forward(event: Event) -> None:
        journal.append(event_op(event, owner_pid))
        if isinstance(event, RunFinished) or (isinstance(event, RunFailed) and event.final):
            journal.sync()
            done.add(event.run_id)
            if not options.keep_checkpoints:
                keepers[event.run_id].discard()
        sink(event)

    def fail(error: str, interrupted: bool = False) -> None:
        for job in stack:
            if job.run_id not in done:
                forward(RunFailed(run_id=job.run_id, error=error, interrupted=interrupted))

    try:
        execute_stack(
            stack,
            device=device,
            data_dir=options.data_dir,
            emit=forward,
            checkpointers=[keepers[j.run_id] for j in stack],
            where=where or Where(),
        )
    except KeyboardInterrupt:
        fail(stop.reason(), interrupted=True)
        raise
    except GstError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a crashing run must not lose the sweep
        fail(crash_line(exc, options.log_dir, [job.run_id for job in stack]))
    finally:
        journal.close()
    return journal.path


def crash_line(exc: BaseException, log_dir: Path | None, run_ids: list[str]) -> str:
    """One line for `runs.error` naming the exception and the log file that keeps its whole traceback.

    The traceback is appended to `<log_dir>/<first run id>.log` (one file per stack, every failure kept); when it
    cannot be written, the line says so instead of naming a file.
    """
    first = (str(exc).strip().splitlines() or [""])[0]
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    if log_dir is None:
        return line
    path = log_dir / f"{run_ids[0]}.log"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(f"{now()} {HOST} pid {os.getpid()}: runs {', '.join(run_ids)} failed\n{traceback.format_exc()}\n")
    except OSError as error:
        return f"{line} (traceback not saved: {error.strerror or error})"
    return f"{line} (traceback in {path})"
