"""How long a launch will take: epochs times a per-example epoch time, measured in the database when it can be.

The per-example time is the median over stored epochs of the same model on the same kind of device
(`seconds / training images`). Without such epochs a rough default is used: the training and
evaluation throughput `gst bench --device cpu` measured on the project's 2-core CI machine (README,
Speed), and ten times that on a GPU. Runs train `parallel` at a time (one worker per CPU core by
default), so the wall time is the sum divided by that.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from gst.engine.spec.errors import GstError
from gst.engine.spec.specs import RunSpec
from gst.store import queries

# images per second (train, eval) measured by `gst bench --device cpu` on 2 CPU cores; GPU_FACTOR x on a GPU.
ROUGH_IPS = {"conv4": (1189.0, 3732.0), "vgg11": (204.0, 752.0)}
GPU_FACTOR = 10.0
TEST_IMAGES = {"cifar10": 10_000, "synthetic": 1_000}


@dataclass(frozen=True, slots=True)
class LaunchEstimate:
    """Runs, epochs and the estimated wall time of a launch, with where the epoch time came from."""

    runs: int
    epochs: int
    seconds: float
    basis: str


def device_kind(device: str) -> str:
    """'cuda' or 'cpu'; `auto` means cuda when a GPU driver is present."""
    if device == "auto":
        return "cuda" if Path("/proc/driver/nvidia/version").exists() else "cpu"
    return "cuda" if device.startswith("cuda") else "cpu"


def measured_seconds_per_image(db: Path, model: str, kind: str) -> tuple[float, int] | None:
    """Median stored epoch seconds per training image of `model` on `kind`, and how many epochs it rests on."""
    if not db.exists():
        return None
    try:
        values = queries.seconds_per_image(db, model, kind)
    except GstError:
        return None
    return (statistics.median(values), len(values)) if values else None


def rough_epoch_seconds(spec: RunSpec, kind: str) -> float:
    """The documented default: train images / train throughput + test images / eval throughput."""
    train_ips, eval_ips = ROUGH_IPS.get(spec.model, ROUGH_IPS["vgg11"])
    factor = GPU_FACTOR if kind == "cuda" else 1.0
    return (spec.train_size / train_ips + TEST_IMAGES.get(spec.dataset, 10_000) / eval_ips) / factor


def estimate(db: Path, specs: list[RunSpec], device: str, parallel: int | None = None) -> LaunchEstimate:
    """Wall time of training every spec once, `parallel` runs at a time (default: CPU cores on a CPU, 1 on a GPU)."""
    kind = device_kind(device)
    lanes = parallel or (1 if kind == "cuda" else max(1, min(os.cpu_count() or 1, len(specs))))
    total, bases = 0.0, set()
    cache: dict[str, tuple[float, int] | None] = {}
    for spec in specs:
        if spec.model not in cache:
            cache[spec.model] = measured_seconds_per_image(db, spec.model, kind)
        measured = cache[spec.model]
        if measured is not None:
            per_epoch = measured[0] * spec.train_size
            bases.add(f"{spec.model}: median of {measured[1]} stored epochs on {kind}")
        else:
            per_epoch = rough_epoch_seconds(spec, kind)
            bases.add(f"{spec.model}: rough default for {kind} (no stored epochs)")
        total += per_epoch * spec.epochs
    return LaunchEstimate(
        runs=len(specs), epochs=sum(s.epochs for s in specs), seconds=total / lanes, basis="; ".join(sorted(bases))
    )


def duration(seconds: float) -> str:
    """'3 h 05 min', '12 min', '40 s'."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"
