"""How long a launch will take, from what was measured on this machine, and whether its data is there.

A run's time is its training epochs (training images x seconds per training image) plus its test passes
(one per epoch, two after each epoch that prunes: before and after; test images x seconds per test
image). Runs train `lanes` at a time (one single-thread worker per CPU core, at most one per run; one
at a time on a GPU), each worker taking the next run when it finishes one; add the sweep's start-up (the
`gst run` process and its workers starting, data and model built) and wind-down.

Seconds per image come, per configuration (model, batch size, augmentation, precision), from the epochs
this machine stored for it (`gst.store.timings`; their seconds are split between training and testing by
the ratio `gst bench` measured), else from a measurement made when the confirmation opens: a child
process that trains and tests a few batches of the model here (`gst.tui.runner.speed_probe`). Start-up
comes from earlier sweeps on this machine, else from that measurement.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from gst.engine.spec.datasets import DataCheck, check_data, test_images
from gst.engine.spec.errors import GstError
from gst.engine.spec.job import DEFAULT_THREADS
from gst.engine.spec.journal import HOST
from gst.engine.spec.schedule import schedule
from gst.engine.spec.specs import RunSpec
from gst.store import timings
from gst.tui.runner.speed_probe import SpeedProbe

# seconds per test image / seconds per training image, from `gst bench --device cpu` (README, Speed): splits a
# stored epoch's seconds between training and testing, which matters only where the data sizes change
TEST_TO_TRAIN = {"conv4": 1189 / 3732, "vgg11": 204 / 752, "resnet20": 558 / 1983}
DEFAULT_TEST_TO_TRAIN = 0.3


@dataclass(frozen=True, slots=True)
class Config:
    """What sets a run's speed per image on one device."""

    model: str
    batch_size: int
    augment: bool
    precision: str

    @classmethod
    def of(cls, spec: RunSpec) -> Config:
        return cls(spec.model, spec.resolved_batch_size, spec.augment, spec.precision)

    @property
    def name(self) -> str:
        extras = (" aug" if self.augment else "") + (f" {self.precision}" if self.precision != "fp32" else "")
        return f"{self.model} b{self.batch_size}{extras}"


@dataclass(frozen=True, slots=True)
class Speed:
    """Seconds per training image and per test image, and where they come from."""

    train_s: float
    test_s: float
    basis: str


@dataclass(frozen=True, slots=True)
class Overheads:
    """Seconds before the first run trains and after the last one, and between runs on one worker."""

    before_s: float
    after_s: float
    between_s: float
    basis: str


@dataclass
class LaunchPlan:
    """What a launch trains, how many runs at once, and whether its data is there."""

    specs: list[RunSpec]
    kind: str  # cpu | cuda
    lanes: int
    threads: int
    data: list[DataCheck]
    examples: dict[Config, RunSpec] = field(default_factory=dict)  # one spec per configuration

    @property
    def runs(self) -> int:
        return len(self.specs)

    @property
    def epochs(self) -> int:
        return sum(s.epochs for s in self.specs)

    @property
    def twice(self) -> int:
        """Epochs that prune, so test before and after."""
        return sum(len(schedule(s)) for s in self.specs)


def device_kind(device: str) -> str:
    """'cuda' or 'cpu'; `auto` means cuda when a GPU driver is present."""
    if device == "auto":
        return "cuda" if Path("/proc/driver/nvidia/version").exists() else "cpu"
    return "cuda" if device.startswith("cuda") else "cpu"


def plan_launch(specs: list[RunSpec], device: str, data_dir: Path | None, cores: int | None = None) -> LaunchPlan:
    """Runs at once as `gst run` lays them out (`engine.execution.local.plan_workers`), and the data check."""
    kind = device_kind(device)
    cores = cores or os.cpu_count() or 1
    lanes = 1 if kind == "cuda" else max(1, min(cores, len(specs)))
    datasets = sorted({s.dataset for s in specs})
    # Every run trains with DEFAULT_THREADS whatever the layout (one seed, one result), so a probe uses as many.
    plan = LaunchPlan(specs, kind, lanes, DEFAULT_THREADS, [check_data(d, data_dir) for d in datasets])
    for spec in specs:
        plan.examples.setdefault(Config.of(spec), spec)
    return plan


def stored_speed(db: Path, config: Config, kind: str) -> Speed | None:
    """Seconds per image from this machine's stored epochs of the configuration (any data size)."""
    try:
        rows = (
            timings.epoch_seconds(db, HOST, kind, config.model, config.augment, config.precision) if db.exists() else []
        )
    except GstError:
        return None
    ratio = TEST_TO_TRAIN.get(config.model, DEFAULT_TEST_TO_TRAIN)
    per_train_image = []
    for row in rows:
        batch = row["batch_size"]
        resolved = max(1, round(row["train_images"] / 391)) if batch == "auto" else int(batch)
        if resolved != config.batch_size:
            continue
        images = row["train_images"] + (2 if row["pruned"] else 1) * test_images(row["dataset"]) * ratio
        per_train_image.append(row["seconds"] / images)
    if not per_train_image:
        return None
    train_s = statistics.median(per_train_image)
    return Speed(train_s, train_s * ratio, f"median of {len(per_train_image)} stored epochs on this machine ({kind})")


def probed_speed(probe: SpeedProbe) -> Speed:
    """Seconds per image as measured just now."""
    rates = f"{1 / probe.train_s_per_image:,.0f} train / {1 / probe.test_s_per_image:,.0f} test img/s"
    threads = f"{probe.threads} thread{'s' * (probe.threads > 1)} each"
    where = f"{probe.side_by_side} runs side by side, {threads}"
    return Speed(probe.train_s_per_image, probe.test_s_per_image, f"measured now ({where}): {rates}")


def stored_overheads(db: Path, kind: str) -> Overheads | None:
    """Start-up and wind-down of earlier sweeps on this machine (medians)."""
    try:
        waits = timings.sweep_waits(db, HOST, kind) if db.exists() else []
        gaps = timings.run_gaps(db, HOST, kind) if waits else []
    except GstError:
        return None
    before = [w["before_s"] for w in waits if w["before_s"] is not None and w["before_s"] >= 0]
    if not before:
        return None
    after = [w["after_s"] for w in waits if w["after_s"] is not None and w["after_s"] >= 0]
    here = sum(1 for w in waits if w["launched_here"])
    basis = f"start-up: median of {len(before)} earlier sweeps here ({here} launched from gst tui)"
    return Overheads(
        statistics.median(before),
        statistics.median(after) if after else 0.0,
        statistics.median(gaps) if gaps else 0.0,
        basis,
    )


def probed_overheads(probe: SpeedProbe) -> Overheads:
    """`gst run` starts (imports), then its workers (imports, data, model), and winds down about as it started."""
    return Overheads(
        probe.import_s + probe.start_s,
        probe.import_s,
        0.0,
        "start-up: measured now (process start, imports, data and model built)",
    )


def run_seconds(spec: RunSpec, speed: Speed) -> float:
    """Training epochs and test passes of one run."""
    tests = spec.epochs + len(schedule(spec))
    return spec.epochs * spec.train_size * speed.train_s + tests * test_images(spec.dataset) * speed.test_s


def training_seconds(plan: LaunchPlan, speeds: dict[Config, Speed], between_s: float = 0.0) -> float | None:
    """When the last run ends, each of `lanes` workers taking the next run in order; None while a speed is unknown."""
    if any(c not in speeds for c in plan.examples):
        return None
    lanes = [0.0] * plan.lanes
    for spec in plan.specs:
        first = lanes.index(min(lanes))
        lanes[first] += run_seconds(spec, speeds[Config.of(spec)]) + between_s
    return max(lanes) - between_s if plan.specs else 0.0


def duration(seconds: float) -> str:
    """'123 d 04 h', '3 h 05 min', '12 min', '3 min 48 s', '40 s' (rounded, never truncated)."""
    seconds = int(round(seconds))
    if seconds >= 2 * 86400:
        hours = int(round(seconds / 3600))
        return f"{hours // 24} d {hours % 24:02d} h"
    if seconds >= 3600:
        minutes = int(round(seconds / 60))
        return f"{minutes // 60} h {minutes % 60:02d} min"
    if seconds >= 600:
        return f"{int(round(seconds / 60))} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"
