"""Worker processes on this machine: each trains whole stacks; this process stays the single sink.

Workers never outlive their parent (PR_SET_PDEATHSIG on Linux, plus a watcher thread elsewhere) and never
checkpoint once it is gone. A worker that dies mid-stack (killed, out of memory) has its journal replayed into
the sink and its stack handed to a fresh worker, resuming from the last checkpoint, up to `max_attempts`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gst.engine import faults
from gst.engine.execution import stop
from gst.engine.execution.backend import Outcome, Sink
from gst.engine.execution.local import WorkerPlan, stack_note
from gst.engine.execution.options import ExecutionOptions
from gst.engine.spec.errors import GstError
from gst.engine.spec.events import Event, RunFailed, RunFinished, event_from_dict, event_to_dict
from gst.engine.spec.job import Job

STATUS_EVENTS = ("RunStarted", "RunFinished", "RunFailed")  # superseded by the retry's own
WORKER_QUIET = 60.0  # seconds without a word from any worker after a stop before they are killed


def die_with_parent(parent: int) -> None:
    """Make this process end as soon as `parent` does."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="gst-parent-watch").start()


def _work(index: int, tasks: Any, events: Any, device: str, options: ExecutionOptions, parent: int) -> None:
    """Worker process: train each stack it is given, streaming events back, until told to stop."""
    die_with_parent(parent)
    from gst.engine.execution.run_stack import run_stack
    from gst.engine.spec.job import Where

    faults.ROLE["name"] = "worker"
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _interrupt_once)  # the parent forwards the signal that stopped it
    alive = lambda: os.getppid() == parent  # noqa: E731
    try:
        while (task := tasks.get()) is not None:
            stack, attempt = task
            where = Where(backend="local", worker=f"worker {index + 1}", attempt=attempt)
            emit = lambda e: events.put((index, event_to_dict(e)))  # noqa: E731
            path = run_stack(stack, emit, options, device=device, where=where, owner_pid=parent, allowed=alive)
            events.put((index, {"type": "_stack_done", "journal": str(path)}))
    except KeyboardInterrupt:
        pass  # run_stack has reported the interrupted runs
    events.put((index, {"type": "_exit"}))


def _interrupt_once(signum: int, frame: object) -> None:
    """Ctrl-C reaches a worker twice (from the terminal and from its parent), and SIGTERM may reach the whole
    process group: only the first interrupts, so that the rest cannot cut short the writing of its last snapshot
    and its interrupted runs' events, whose error names this first signal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stop.note(signum)
    raise KeyboardInterrupt


@dataclass
class _Worker:
    index: int
    proc: Any
    tasks: Any
    stack: list[Job] | None = None
    attempt: int = 1
    done: set[str] = field(default_factory=set)


class PoolBackend:
    """Stacks on `plan.size` worker processes, handed out one at a time as workers become free."""

    name = "local"

    def __init__(self, options: ExecutionOptions, plan: WorkerPlan) -> None:
        self.options = options
        self.plan = plan
        self.max_attempts = options.max_attempts
        self.ctx = mp.get_context("spawn")
        self.events: Any = None

    def describe(self, stacks: list[list[Job]]) -> str:
        """'cpu (2 workers)'."""
        where = ", ".join(sorted(set(self.plan.devices)))
        return f"{where} ({self.plan.size} workers{stack_note(stacks)})"

    def _start(self, index: int) -> _Worker:
        tasks = self.ctx.Queue()
        args = (index, tasks, self.events, self.plan.devices[index], self.options, os.getpid())
        proc = self.ctx.Process(target=_work, args=args, daemon=True, name=f"gst-worker-{index + 1}")
        proc.start()
        return _Worker(index=index, proc=proc, tasks=tasks)

    def run(self, stacks: list[list[Job]], sink: Sink) -> Outcome:
        """Execute every stack; Ctrl-C is forwarded to the workers, which report their interrupted runs."""
        outcome = Outcome()
        track = outcome.tracking(sink)
        self.events = self.ctx.Queue()
        todo: list[tuple[list[Job], int]] = [(b, 1) for b in stacks]
        workers = [self._start(i) for i in range(self.plan.size)]
        restarts = len(stacks) * self.max_attempts  # a worker that cannot even start must not loop forever
        try:
            while todo or any(w.stack is not None for w in workers):
                for i, w in enumerate(workers):
                    if w.stack is None and todo and not w.proc.is_alive():
                        if restarts <= 0:
                            raise GstError(f"worker processes keep dying (exit code {w.proc.exitcode}); see above")
                        restarts -= 1
                        workers[i] = w = self._start(i)
                    if w.stack is None and todo:
                        w.stack, w.attempt = todo.pop(0)
                        w.done = set()
                        w.tasks.put((w.stack, w.attempt))
                self._pump(workers, track, outcome, timeout=0.2)
                for w in workers:
                    if w.stack is not None and not w.proc.is_alive():
                        self._pump(workers, track, outcome, timeout=0.0)  # what it sent before dying
                        if w.stack is not None:
                            todo[:0] = self._lost(w, track, outcome)
            for w in workers:
                w.tasks.put(None)
        except KeyboardInterrupt:
            self._interrupt(workers, track, outcome)
            raise
        finally:
            for w in workers:
                w.proc.join(timeout=5)
                if w.proc.is_alive():
                    w.proc.kill()
        return outcome

    def _pump(self, workers: list[_Worker], sink: Sink, outcome: Outcome, timeout: float) -> None:
        """Forward queued events to the sink until the queue is empty (waiting up to `timeout` for the first)."""
        while True:
            try:
                index, item = self.events.get(timeout=timeout) if timeout else self.events.get_nowait()
            except queue.Empty:
                return
            timeout = 0.0
            faults.hit("received")
            faults.hit(f"received_{item['type']}")  # e.g. received_RunFinished: a test stops the parent right there
            w = workers[index]
            if item["type"] == "_stack_done":
                outcome.journals.append(Path(item["journal"]))
                w.stack = None
            elif item["type"] != "_exit":
                event = event_from_dict(item)
                if isinstance(event, RunFinished | RunFailed):
                    w.done.add(event.run_id)
                sink(event)

    def _lost(self, w: _Worker, sink: Sink, outcome: Outcome) -> list[tuple[list[Job], int]]:
        """A worker died mid-stack: replay its journal, then retry the stack's unfinished runs (or fail them)."""
        assert w.stack is not None
        code = w.proc.exitcode
        cause = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        for journal in self.options.journals.glob(f"{os.getpid()}-{w.proc.pid}-*.jsonl"):
            for event in replay(journal):
                sink(event)
            outcome.journals.append(journal)
        rest = [job for job in w.stack if job.run_id not in w.done]
        w.stack = None
        if not rest:
            return []
        if w.attempt < self.max_attempts:
            return [(rest, w.attempt + 1)]
        for job in rest:
            sink(RunFailed(run_id=job.run_id, error=f"worker {w.index + 1} died ({cause}) {w.attempt} times"))
        return []

    def _interrupt(self, workers: list[_Worker], sink: Sink, outcome: Outcome) -> None:
        """Forward the stopping signal; keep forwarding events until every busy worker has reported its interrupted
        runs (or, when none has sent anything for WORKER_QUIET seconds, give up: the runner replays its journal)."""
        forwarded = stop.first() or signal.SIGINT
        for w in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(w.proc.pid or 0, forwarded)
        deadline = time.monotonic() + WORKER_QUIET  # restarts with every event: a loaded machine is slow, not stuck
        exited: set[int] = set()
        while len(exited) < len(workers) and time.monotonic() < deadline:
            try:
                index, item = self.events.get(timeout=0.5)
            except queue.Empty:
                exited |= {w.index for w in workers if not w.proc.is_alive()}
                continue
            deadline = time.monotonic() + WORKER_QUIET
            if item["type"] == "_exit":
                exited.add(index)
            elif item["type"] == "_stack_done":
                outcome.journals.append(Path(item["journal"]))
            else:
                sink(event_from_dict(item))


def replay(journal: Path) -> list[Event]:
    """The measurements a dead producer journaled (its status events are superseded by the retry)."""
    events = []
    for line in journal.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            item = json.loads(line)
            if item.get("op") == "event" and item["event"]["type"] not in STATUS_EVENTS:
                events.append(event_from_dict(item["event"]))
    return events
