"""Checkpoints: model (with masks), optimizer, every RNG and the loop's own counters, and when to write them.

Restoring one and continuing gives the same numbers as never stopping (on CPU, bit for bit). Each epoch's state
is copied in memory (cheap); it goes to disk when the interval is due, at an interruption and at the end, after
the run's journal has made the events of that epoch durable (write-ahead), and off the training thread.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gst.engine.cadence import CheckpointEvery


def rng_state(data_gen: torch.Generator, prune_gen: torch.Generator) -> dict[str, Any]:
    """Every random state a run draws from."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "data": data_gen.get_state(),
        "prune": prune_gen.get_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any], data_gen: torch.Generator, prune_gen: torch.Generator) -> None:
    """Inverse of `rng_state`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    data_gen.set_state(state["data"])
    prune_gen.set_state(state["prune"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def compact(value: Any) -> Any:
    """`value` with every tensor that views a larger storage cloned: torch.save writes whole storages,
    and a stacked run's tensors are slices of its group's stacks."""
    if isinstance(value, torch.Tensor):
        return value.clone() if value.untyped_storage().nbytes() > value.numel() * value.element_size() else value
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(compact(v) for v in value)
    return value


def detached_copy(value: Any) -> Any:
    """`value` with every tensor copied to the CPU: a snapshot that training can no longer change."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: detached_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(detached_copy(v) for v in value)
    return value


def previous(path: Path) -> Path:
    """Where the checkpoint before the newest is kept until a newer one is safely on disk."""
    return path.with_name(path.stem + ".prev" + path.suffix)


def save(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically: temporary file (fsynced), the current one becomes the previous, then rename.

    A kill at any moment leaves the newest or the previous checkpoint whole.
    """
    from gst.engine import faults

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        torch.save(compact(payload), f)
        f.flush()
        os.fsync(f.fileno())
    if path.exists():
        os.replace(path, previous(path))
    faults.hit("checkpoint_rename")
    os.replace(tmp, path)


def load(path: Path, device: torch.device) -> dict[str, Any] | None:
    """The checkpoint at `path`, or None if there is none."""
    if not path.is_file():
        return None
    return torch.load(path, map_location=device, weights_only=False)


_WRITER: ThreadPoolExecutor | None = None


def _writer() -> ThreadPoolExecutor:
    """One background thread per process writes checkpoints, in submission order."""
    global _WRITER
    if _WRITER is None:
        _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gst-checkpoint")
    return _WRITER


class Checkpointer:
    """One run's checkpoint files (newest and previous), its last in-memory snapshot, and the write-ahead rule.

    `barrier` makes the run's events durable (its journal's fsync); it runs before any write of a snapshot.
    `allowed` is asked before each write: a worker whose parent is gone must not checkpoint.
    """

    def __init__(
        self,
        path: Path,
        every: CheckpointEvery,
        barrier: Callable[[], None] = lambda: None,
        allowed: Callable[[], bool] = lambda: True,
    ) -> None:
        self.path = path
        self.every = every
        self.barrier = barrier
        self.allowed = allowed
        self.snapshot: dict[str, Any] | None = None
        self.snapshot_written = True
        self.pending: Future[None] | None = None
        self.seconds = 0.0  # time the training thread spent on checkpoints (copies and waits)
        self.data = (
            ""  # what the run trains on (`loader.DeviceData.subset_hash`): a checkpoint of other data is skipped
        )

    def keep(self, payload: dict[str, Any], write: bool) -> None:
        """Take this epoch's snapshot; write it in the background if `write`."""
        began = time.perf_counter()
        self.snapshot = detached_copy(payload) | ({"data": self.data} if self.data else {})
        self.snapshot_written = False
        if write:
            self.write(background=True)
        self.seconds += time.perf_counter() - began

    def write(self, background: bool = False) -> None:
        """Write the last snapshot (events first made durable); a no-op if it is on disk or not allowed."""
        if self.snapshot is None or self.snapshot_written or not self.allowed():
            return
        self.barrier()
        self.wait()
        snapshot, self.snapshot_written = self.snapshot, True
        if background:
            self.pending = _writer().submit(save, self.path, snapshot)
        else:
            save(self.path, snapshot)

    def wait(self) -> None:
        """Block until the background write in flight (if any) is on disk."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def candidates(self, device: torch.device, limit: int | None) -> tuple[list[dict[str, Any]], str]:
        """Loadable checkpoints, newest first, whose epoch is <= `limit` (the epochs the database holds) and whose
        data is the run's, and a note naming any that was skipped (unreadable, ahead of the database, other data:
        a test split changed by GST_SYNTHETIC_TEST_PER_CLASS would silently change every later test row)."""
        found, notes = [], []
        for path in (self.path, previous(self.path)):
            if not path.is_file():
                continue
            try:
                state = load(path, device)
            except Exception as exc:  # noqa: BLE001 - a damaged file must not stop the resume
                notes.append(f"checkpoint {path.name} unreadable ({type(exc).__name__})")
                continue
            epoch = int(state["progress"]["epochs_done"]) if state else 0
            if state is None:
                continue
            if limit is not None and epoch > limit:
                notes.append(f"checkpoint {path.name} (epoch {epoch}) is ahead of the {limit} epochs stored")
                continue
            if self.data and state.get("data", self.data) != self.data:
                notes.append(f"checkpoint {path.name} was made on other data ({state['data']}; now {self.data})")
                continue
            found.append(state)
        return found, "; ".join(notes)

    def discard(self) -> None:
        """Delete both files (the run is complete and its checkpoints are not kept)."""
        self.wait()
        self.snapshot = None
        for path in (self.path, previous(self.path), self.path.with_suffix(".tmp")):
            path.unlink(missing_ok=True)
