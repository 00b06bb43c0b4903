"""The Ray backend: one Ray task per seed stack on a cluster; this process stays the only database writer.

Ray places the tasks on nodes and GPUs, notices dead nodes and streams each task's events back through a
streaming generator. Retrying is gst's, never Ray's (`max_retries=0`): Ray assumes a retried generator yields
the same items again, but a stack resumed from a checkpoint yields fewer, and its first epochs would be dropped.
So when a node or worker dies, this process replays the task's write-ahead journal (on the shared checkpoint
directory) into the sink and resubmits the stack's unfinished runs, which continue from their last checkpoint.
Ray is an optional extra, imported only here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

from gst.engine.execution import stop
from gst.engine.execution.backend import Outcome, Sink
from gst.engine.execution.local import stack_note
from gst.engine.execution.options import ExecutionOptions, RayOptions
from gst.engine.execution.pool import STATUS_EVENTS
from gst.engine.spec.errors import GstError
from gst.engine.spec.events import Event, RunFailed, RunFinished, event_from_dict, event_to_dict
from gst.engine.spec.job import Job

try:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
except ImportError:  # pragma: no cover - depends on the environment
    raise GstError("--backend ray: Ray is not installed; install it with: pip install 'gst[ray]'") from None

MARKER = ".gst-marker"
PROBE_TIMEOUT = 120.0  # seconds for every node to answer the probe
_DONE = "_task_done"
CANCEL_GRACE = 30.0  # seconds a cancelled task gets to write its last checkpoints


class ClusterError(GstError):
    """The Ray cluster cannot be reached, or a node cannot run gst's tasks."""


def connect(address: str) -> None:
    """Join the cluster at `address` (`auto`: Ray's own rules, e.g. RAY_ADDRESS; `local`: start one here)."""
    if ray.is_initialized():
        return
    reachable(address)
    try:
        ray.init(
            address=None if address == "local" else address,
            logging_level=logging.ERROR,
            log_to_driver=False,
            include_dashboard=False if address == "local" else None,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterError(
            f"--address {address}: no Ray cluster is reachable ({first}); start one (`ray start --head`), "
            "pass --address HOST:PORT, or use --address local for one on this machine"
        ) from None


def reachable(address: str, timeout: float = 10.0) -> None:
    """A HOST:PORT that nothing answers on fails at once (Ray itself would keep retrying for minutes)."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ClusterError(
            f"--address {address}: no Ray cluster is reachable ({exc.strerror or type(exc).__name__}); "
            "check the head node's address and port (`ray status` on it)"
        ) from None


def _probe(checkpoint_dir: str, marker: str, data_file: str) -> dict[str, Any]:
    """On one node: can it write the checkpoint folder, does it see the parent's marker, which versions."""
    import socket

    import torch

    folder = Path(checkpoint_dir)
    found: dict[str, Any] = {"host": socket.gethostname(), "gst": version("gst"), "torch": torch.__version__}
    try:
        seen = (folder / MARKER).read_text().strip()
    except OSError:
        seen = ""
    found["marker"] = seen == marker
    try:
        test = folder / f".gst-probe-{uuid.uuid4().hex[:8]}"
        test.write_text("ok")
        test.unlink()
        found["writable"] = True
    except OSError as exc:
        found["writable"] = False
        found["write_error"] = type(exc).__name__
    found["data"] = bool(data_file) and Path(data_file).is_file()
    return found


_PROBED: dict[tuple[Path, Path | None, frozenset[str]], bool] = {}


def probe_nodes(checkpoint_dir: Path, data_file: Path | None) -> bool:
    """Check every alive node before the first task (once per process and set of nodes); one line naming the
    node and the problem, else True when every node sees `data_file` (a shared --data-dir)."""
    key = (checkpoint_dir, data_file, frozenset(n["NodeID"] for n in ray.nodes() if n.get("Alive")))
    if key not in _PROBED:
        _PROBED[key] = _probe_all(checkpoint_dir, data_file)
    return _PROBED[key]


def _probe_all(checkpoint_dir: Path, data_file: Path | None) -> bool:
    import torch

    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    marker = uuid.uuid4().hex
    (checkpoint_dir / MARKER).write_text(marker)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    remote = ray.remote(num_cpus=0, max_retries=0)(_probe)
    refs = {
        n["NodeID"]: remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(
            str(checkpoint_dir), marker, str(data_file or "")
        )
        for n in nodes
    }
    mine = {"gst": version("gst"), "torch": torch.__version__}
    shared_data = bool(nodes)
    for node_id, ref in refs.items():
        name = f"node {node_id[:8]}"
        try:
            found = ray.get(ref, timeout=PROBE_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            raise ClusterError(f"{name}: did not answer the probe within {PROBE_TIMEOUT:g} s") from None
        except ray.exceptions.RayError as exc:
            why = str(exc).strip().splitlines()[-1][:200]
            raise ClusterError(f"{name}: cannot run gst tasks (is gst installed there?): {why}") from None
        name = f"node {node_id[:8]} ({found['host']})"
        if not found["writable"]:
            raise ClusterError(
                f"{name}: --checkpoint-dir {checkpoint_dir} is not writable ({found.get('write_error')})"
            )
        if not found["marker"]:
            raise ClusterError(
                f"{name}: --checkpoint-dir {checkpoint_dir} is not the same folder as here (marker not visible); "
                "it must be shared storage mounted at the same path on every node"
            )
        for what in ("gst", "torch"):
            if found[what] != mine[what]:
                raise ClusterError(f"{name}: {what} {found[what]} differs from this machine's {mine[what]}")
        shared_data = shared_data and found["data"]
    return shared_data


def _train(
    stack: list[Job], options: ExecutionOptions, attempt: int, arrays: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Ray task: train one stack on this node, yielding its events as they happen (then a last `_task_done`).

    Its runs train with their own thread count (`Job.threads`, set on the training thread); --cpus-per-stack only
    reserves CPUs."""
    import socket

    from gst.engine import data
    from gst.engine.execution.run_stack import run_stack
    from gst.engine.spec.job import Where

    for name, ref in arrays.items():  # object refs inside a dict are not resolved by Ray: fetched here, once
        got = ray.get(ref)  # zero-copy, read-only; the images are copied on their way to the device
        data.PRELOADED[name] = replace(got, y_train=got.y_train.copy(), y_test=got.y_test.copy())
    gpus = [str(g) for g in ray.get_gpu_ids()]
    node = ray.get_runtime_context().get_node_id()[:8]
    where = Where(
        backend="ray",
        worker=f"node {node}" + (f" gpu {','.join(gpus)}" if gpus else " cpu"),
        host=socket.gethostname(),
        attempt=attempt,
    )
    events: queue.Queue[Any] = queue.Queue()

    def emit(event: Event) -> None:
        events.put(event_to_dict(event))

    def work() -> None:
        try:
            path = run_stack(stack, emit, options, device="cuda" if gpus else "cpu", where=where)
            events.put({"type": _DONE, "journal": str(path)})
        except BaseException as exc:  # noqa: BLE001 - reported to the generator, which ends the task
            events.put(exc)

    thread = threading.Thread(target=work, daemon=True, name="gst-train")
    thread.start()
    ended = False
    try:
        while not ended:
            try:
                item = events.get(timeout=0.2)
            except queue.Empty:
                continue
            ended = isinstance(item, BaseException) or item["type"] == _DONE
            if isinstance(item, KeyboardInterrupt):
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:  # cancelled (Ctrl-C in the parent): the training thread stops as a worker does on Ctrl-C
        if not ended and thread.is_alive():
            interrupt(thread)
        thread.join(timeout=60)


def interrupt(thread: threading.Thread) -> None:
    """Raise KeyboardInterrupt in `thread` at its next Python instruction (training writes its last snapshot)."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident or 0), ctypes.py_object(KeyboardInterrupt))


@dataclass
class _Task:
    stack: list[Job]
    attempt: int
    journal_dir: Path
    gen: Any = None
    done: set[str] = field(default_factory=set)


class RayBackend:
    """Stacks as Ray tasks on the cluster at `address`; every event reaches the sink in this process."""

    name = "ray"

    def __init__(
        self,
        options: ExecutionOptions,
        own: RayOptions,
    ) -> None:
        self.options = options
        self.gpus = own.gpus_per_stack
        self.cpus = own.cpus_per_stack
        self.max_attempts = options.max_attempts
        self.address = own.address
        self.run_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        connect(own.address)
        data_file = Path(options.data_dir).expanduser().resolve() / "cifar10.npz" if options.data_dir else None
        self.shared_data = probe_nodes(options.checkpoints, data_file)
        self.remote = ray.remote(num_returns="streaming", max_retries=0)(_train)

    def describe(self, stacks: list[list[Job]]) -> str:
        """'ray cluster (3 nodes, 2 GPUs per stack)'."""
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        per = f"{self.gpus:g} GPU" if self.gpus else f"{self.cpus:g} CPU"
        return f"ray cluster ({nodes} node{'s' if nodes != 1 else ''}, {per} per stack{stack_note(stacks)})"

    def _arrays(self, stacks: list[list[Job]]) -> dict[str, Any]:
        """The data sets the stacks train on, in the object store once (CIFAR-10 not if every node sees --data-dir).

        The synthetic set always travels: its test split follows the driver's GST_SYNTHETIC_TEST_PER_CLASS,
        which a node's own environment may not share.
        """
        from gst.engine.data import load_arrays

        needed = sorted({job.spec.dataset for stack in stacks for job in stack})
        if self.shared_data:
            needed = [name for name in needed if name == "synthetic"]
        return {name: ray.put(load_arrays(name, self.options.data_dir)) for name in needed}

    def _submit(self, task: _Task, arrays: dict[str, Any]) -> None:
        options = replace(self.options, journal_dir=task.journal_dir, log_dir=self.options.checkpoints / "logs")
        task.gen = self.remote.options(num_cpus=self.cpus, num_gpus=self.gpus).remote(
            task.stack, options, task.attempt, arrays
        )

    def run(self, stacks: list[list[Job]], sink: Sink) -> Outcome:
        """Execute every stack, resubmitting the unfinished runs of a stack whose node or worker died."""
        outcome = Outcome()
        track = outcome.tracking(sink)
        arrays = self._arrays(stacks)
        running: list[_Task] = []
        for stack in stacks:
            task = _Task(stack=stack, attempt=1, journal_dir=self._journal_dir())
            self._submit(task, arrays)
            running.append(task)
        try:
            while running:
                ready, _ = ray.wait([t.gen for t in running], num_returns=1, timeout=1.0)
                for gen in ready:
                    task = next(t for t in running if t.gen is gen)
                    retry = self._step(task, track, outcome)
                    if retry is not task:
                        running.remove(task)
                    if retry is not None and retry is not task:
                        self._submit(retry, arrays)
                        running.append(retry)
        except KeyboardInterrupt:
            self._interrupt(running, track, outcome)
            raise
        return outcome

    def _journal_dir(self) -> Path:
        """A task's own journal folder on the shared checkpoint directory (replayed if its node dies)."""
        return self.options.checkpoints / "journal" / f"{self.run_id}-{uuid.uuid4().hex[:8]}"

    def _step(self, task: _Task, sink: Sink, outcome: Outcome) -> _Task | None:
        """Take one item from a ready task: `task` while it goes on, a retry or None once it ended."""
        try:
            item = ray.get(next(task.gen))
        except StopIteration:
            return self._ended(task, sink, outcome, "the task ended without reporting all its runs")
        except ray.exceptions.RayTaskError as exc:  # gst's own code failed in the task: not retried
            return self._ended(task, sink, outcome, str(exc).strip().splitlines()[-1], retry=False)
        except ray.exceptions.RayError as exc:  # node, worker or object lost: retried by gst
            return self._ended(task, sink, outcome, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
        if item["type"] == _DONE:
            outcome.journals.extend(task.journal_dir.glob("*.jsonl"))
            if not [job for job in task.stack if job.run_id not in task.done]:
                return None
            return self._ended(task, sink, outcome, "the task ended without reporting all its runs")
        event = event_from_dict(item)
        if isinstance(event, RunFinished | RunFailed):
            task.done.add(event.run_id)
        sink(event)
        return task

    def _ended(self, task: _Task, sink: Sink, outcome: Outcome, cause: str, retry: bool = True) -> _Task | None:
        """The task died: replay its journal, then resubmit its unfinished runs (or fail them)."""
        self._replay(task, sink, outcome)
        rest = [job for job in task.stack if job.run_id not in task.done]
        if not rest:
            return None
        if retry and task.attempt < self.max_attempts:
            return _Task(stack=rest, attempt=task.attempt + 1, journal_dir=self._journal_dir())
        times = f" ({task.attempt} attempts)" if retry else ""
        for job in rest:
            sink(RunFailed(run_id=job.run_id, error=f"ray task lost: {cause}{times}"))
        return None

    def _replay(self, task: _Task, sink: Sink, outcome: Outcome) -> None:
        """Forward what the task journaled but never streamed: measurements, and runs it finished."""
        for journal in sorted(task.journal_dir.glob("*.jsonl")):
            for line in journal.read_text(errors="replace").splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    item = json.loads(line)["event"]
                    finished = item["type"] == "RunFinished" and item["run_id"] not in task.done
                    if item["type"] not in STATUS_EVENTS or finished:
                        sink(event_from_dict(item))
                    if finished:
                        task.done.add(item["run_id"])
            outcome.journals.append(journal)

    def _interrupt(self, running: list[_Task], sink: Sink, outcome: Outcome) -> None:
        """Ctrl-C: cancel every task, keep what they journaled, and mark their unfinished runs interrupted."""
        for task in running:
            with contextlib.suppress(Exception):
                ray.cancel(task.gen)
        deadline = time.monotonic() + CANCEL_GRACE  # cancelled tasks write their last checkpoints
        for task in running:
            with contextlib.suppress(Exception):
                while ray.wait([task.gen], timeout=max(0.0, deadline - time.monotonic()))[0]:
                    ray.get(next(task.gen))  # journaled, so replayed below
        for task in running:
            self._replay(task, sink, outcome)
            for job in task.stack:
                if job.run_id not in task.done:
                    sink(RunFailed(run_id=job.run_id, error=stop.reason(), interrupted=True))
        for journal in outcome.journals:  # the run ends in KeyboardInterrupt, so no caller sees this outcome;
            journal.unlink(missing_ok=True)  # every event in it is in the sink's own journal now
            with contextlib.suppress(OSError):
                journal.parent.rmdir()
