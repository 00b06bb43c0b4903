"""Runs several jobs at once in worker processes (one per GPU, or single-thread CPU workers).

Workers only train and send plain event dicts back; this process stays the single database writer.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gst.engine.events import Event, event_from_dict, event_to_dict
from gst.tui.batches import Job, run_batch

DONE = "_worker_done"


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

    `jobs` counts the units of work (seed batches), since a worker takes a whole batch.
    """
    cores = os.cpu_count() or 1
    if gpus:
        return WorkerPlan(devices=tuple(f"cuda:{g}" for g in gpus), threads=max(1, cores // len(gpus)))
    if workers is None:
        workers = min(cores, jobs) if device == "cpu" else 1
    workers = max(1, min(workers, jobs))
    return WorkerPlan(devices=(device,) * workers, threads=max(1, cores // workers))


def _work(tasks: Any, events: Any, device: str, threads: int, data_dir: Path | None) -> None:
    """Worker process: take batches until the sentinel, stream their events back."""
    import torch

    torch.set_num_threads(threads)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while (task := tasks.get()) is not None:
            batch, checkpoints = task
            emit = lambda e: events.put(event_to_dict(e))  # noqa: E731
            run_batch(batch, emit, device=device, data_dir=data_dir, checkpoint=checkpoints.get)
    except KeyboardInterrupt:
        pass  # run_batch has reported the interrupted runs
    events.put({"type": DONE})


def run_parallel(
    batches: list[list[Job]],
    plan: WorkerPlan,
    emit: Callable[[Event], None],
    *,
    data_dir: Path | None,
    checkpoint: Callable[[str], Path | None],
) -> None:
    """Execute seed batches on `plan.size` workers, calling `emit` in this process for every event, in arrival order.

    Ctrl-C is forwarded to the workers; each marks its current run interrupted before this returns by raising.
    """
    ctx = mp.get_context("spawn")
    tasks, events = ctx.Queue(), ctx.Queue()
    for batch in batches:
        tasks.put((batch, {job.run_id: checkpoint(job.run_id) for job in batch}))
    for _ in range(plan.size):
        tasks.put(None)
    procs = [
        ctx.Process(target=_work, args=(tasks, events, device, plan.threads, data_dir), daemon=True)
        for device in plan.devices
    ]
    for proc in procs:
        proc.start()
    running = plan.size
    try:
        while running:
            try:
                item = events.get(timeout=0.5)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
                continue
            if item["type"] == DONE:
                running -= 1
            else:
                emit(event_from_dict(item))
    except KeyboardInterrupt:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid or 0, signal.SIGINT)
        _drain(events, procs, emit)
        raise
    finally:
        for proc in procs:
            proc.join(timeout=5)


def _drain(events: Any, procs: list[Any], emit: Callable[[Event], None]) -> None:
    """After Ctrl-C: keep forwarding events until every worker has reported its interrupted run."""
    waiting = sum(1 for p in procs if p.is_alive())
    while waiting:
        try:
            item = events.get(timeout=10)
        except queue.Empty:
            return
        if item["type"] == DONE:
            waiting -= 1
        else:
            emit(event_from_dict(item))
