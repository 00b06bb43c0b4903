"""Per-epoch checkpoints: model (with masks), optimizer, every RNG and the loop's own counters.

Restoring one and continuing gives the same numbers as never stopping (on CPU, bit for bit).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch


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


def save(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically (temporary file, then rename), so a kill never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(compact(payload), tmp)
    os.replace(tmp, path)


def load(path: Path, device: torch.device) -> dict[str, Any] | None:
    """The checkpoint at `path`, or None if there is none."""
    if not path.is_file():
        return None
    return torch.load(path, map_location=device, weights_only=False)  # type: ignore[no-any-return]
