"""`gst bench`'s measurements: a plain loop, gst's loop and the compute bound side by side, seeds together,
checkpoint cost and peak memory; `gst.tui.cli.bench` prints them."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from gst.engine.bench import throughput as bench
from gst.engine.execution.local import InProcessBackend, WorkerPlan, plan_workers
from gst.engine.execution.options import ExecutionOptions
from gst.engine.execution.pool import PoolBackend
from gst.engine.spec.errors import GstError
from gst.engine.spec.events import Event, RunFailed, RunFinished, RunStarted
from gst.engine.spec.job import Job

REPEATS = 3  # interleaved rounds of (a), (b), (c) and eval; each keeps its best
GPU_SEEDS = 8  # seeds of one arm trained together in the GPU measurement (CPU: one per core)


@dataclass
class BenchReport:
    """Everything `gst bench --json` prints; *_ips are images per second."""

    model: str
    device: str
    batch: int
    plain_ips: float
    gst_ips: float
    compute_ips: float
    eval_ips: float
    seeds: int = 2
    default_mode: str = "workers"  # how `gst run` trains several seeds on this device by default
    seed_batching_speedup: dict[str, float] = field(default_factory=dict)  # default mode vs one at a time
    stacking_speedup: dict[str, float] = field(default_factory=dict)
    runs_per_hour: dict[str, dict[str, float]] = field(default_factory=dict)  # batch -> mode -> runs/hour
    workers: int = 1
    peak_memory_mb: float = 0.0
    checkpoint_mb: float = 0.0  # one run's full state on disk
    snapshot_s: float = 0.0  # the per-epoch in-memory copy
    checkpoint_write_s: float = 0.0  # one write to disk (background thread, when due)

    @property
    def epoch_s(self) -> float:
        """Seconds per CIFAR-10 epoch (50,000 images) at gst's measured speed."""
        return 50_000 / self.gst_ips

    @property
    def gst_over_plain(self) -> float:
        """b / a."""
        return self.gst_ips / self.plain_ips

    @property
    def gst_over_compute(self) -> float:
        """b / c."""
        return self.gst_ips / self.compute_ips

    def to_json(self) -> dict[str, Any]:
        """The --json document (ratios included)."""
        return {
            **asdict(self),
            "gst_over_plain": self.gst_over_plain,
            "gst_over_compute": self.gst_over_compute,
            "epoch_s": self.epoch_s,
        }


def _steady_seconds(events: list[tuple[float, Event]]) -> float:
    """From the first run's start to the last run's end: data loading and worker start-up excluded for all modes."""
    starts = [t for t, e in events if isinstance(e, RunStarted)]
    ends = [t for t, e in events if isinstance(e, RunFinished)]
    if not ends:
        raise GstError("gst bench: a benchmark run failed: " + "; ".join(
            e.error.splitlines()[0] for _, e in events if isinstance(e, RunFailed)))  # fmt: skip
    return max(ends) - min(starts)


def runs_per_hour(model: str, device: str, batch: int, images: int, seeds: int, mode: str, plan: WorkerPlan) -> float:
    """Runs per hour for `seeds` two-epoch runs: one at a time, stacked in one network, or on parallel workers."""
    spec = bench.bench_spec(model, batch, images)
    jobs = [Job(run_id=f"bench-{batch}-{seed}", arm="bench", seed=seed, spec=spec) for seed in range(seeds)]
    events: list[tuple[float, Event]] = []

    def emit(event: Event) -> None:
        events.append((time.perf_counter(), event))

    with tempfile.TemporaryDirectory(prefix="gst-bench-") as folder:
        options = ExecutionOptions(
            device=device,
            checkpoint_dir=Path(folder) / "checkpoints",
            journal_dir=Path(folder) / "journal",
            checkpoint_every="10000",  # speed alone; checkpoints are measured apart
        )
        if mode == "workers":
            PoolBackend(options, plan).run([[job] for job in jobs], emit)
        else:
            InProcessBackend(options, device).run([jobs] if mode == "stacked" else [[job] for job in jobs], emit)
    return 3600 * seeds / _steady_seconds(events)


def run_bench(
    model: str, device: torch.device, *, steps: int, seed_images: dict[int, int], note: bench.Note = bench.quiet
) -> BenchReport:
    """Every measurement on one device, in one process, in one go; `note` hears each one's name as it starts."""
    batch = 128
    note("setting up (a) plain, (b) gst, (c) compute and eval loops")
    passes = {
        "plain": bench.plain_loop(model, device, batch, steps),
        "gst": bench.gst_loop(model, device, batch, steps),
        "compute": bench.compute_loop(model, device, batch, steps),
        "eval": bench.eval_loop(model, device),
    }
    best = bench.best_interleaved(passes, REPEATS, note)
    report = BenchReport(
        model=model,
        device=str(device),
        batch=batch,
        plain_ips=best["plain"],
        gst_ips=best["gst"],
        compute_ips=best["compute"],
        eval_ips=best["eval"],
    )
    on_cpu = device.type == "cpu"
    report.seeds = (os.cpu_count() or 1) if on_cpu else GPU_SEEDS
    plan = plan_workers(str(device), None, (), report.seeds)
    report.workers = plan.size
    if on_cpu:  # as `gst run` would train them (see batches.default_batch_seeds)
        report.default_mode = "workers" if plan.size > 1 else "one_at_a_time"
    else:
        report.default_mode = "stacked"
    modes = ("one_at_a_time", "stacked", "workers") if plan.size > 1 else ("one_at_a_time", "stacked")
    for seed_batch, images in seed_images.items():
        rates = {}
        for mode in modes:
            note(f"{report.seeds} seeds at batch {seed_batch}, {mode.replace('_', ' ')}")
            rates[mode] = runs_per_hour(model, str(device), seed_batch, images, report.seeds, mode, plan)
        key = str(seed_batch)
        report.runs_per_hour[key] = rates
        report.stacking_speedup[key] = rates["stacked"] / rates["one_at_a_time"]
        report.seed_batching_speedup[key] = rates[report.default_mode] / rates["one_at_a_time"]
    note("checkpoint snapshot and write")
    cost = bench.checkpoint_cost(model, device)
    report.checkpoint_mb, report.snapshot_s, report.checkpoint_write_s = cost.megabytes, cost.snapshot_s, cost.write_s
    report.peak_memory_mb = bench.peak_memory_mb(device)
    return report
