"""`gst bench`: throughput of a plain loop, gst's loop and the compute bound, side by side, plus seeds together."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from gst.engine import bench
from gst.engine.events import Event, RunFinished, RunStarted
from gst.tui.runner import Job, run_here
from gst.tui.workers import WorkerPlan, plan_workers, run_parallel

SEEDS = 2


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
    seed_batching_speedup: dict[str, float] = field(default_factory=dict)
    runs_per_hour: dict[str, dict[str, float]] = field(default_factory=dict)
    workers: int = 1
    peak_memory_mb: float = 0.0

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
        return {**asdict(self), "gst_over_plain": self.gst_over_plain, "gst_over_compute": self.gst_over_compute}


def _steady_seconds(events: list[tuple[float, Event]]) -> float:
    """From the first run's start to the last run's end: data loading and worker start-up excluded for both modes."""
    starts = [t for t, e in events if isinstance(e, RunStarted)]
    ends = [t for t, e in events if isinstance(e, RunFinished)]
    return max(ends) - min(starts)


def runs_per_hour(model: str, device: str, batch: int, images: int, plan: WorkerPlan | None, tmp: Path) -> float:
    """Runs per hour for SEEDS one-epoch runs, one at a time (plan None) or on the planned workers."""
    spec = bench.bench_spec(model, batch, images)
    jobs = [Job(run_id=f"bench-{batch}-{seed}", arm="bench", seed=seed, spec=spec) for seed in range(SEEDS)]
    events: list[tuple[float, Event]] = []

    def emit(event: Event) -> None:
        events.append((time.perf_counter(), event))

    if plan is None:
        for job in jobs:
            run_here(job, emit, device=device, data_dir=None, db=tmp / "bench.duckdb")
    else:
        run_parallel(jobs, plan, emit, data_dir=None, checkpoint=lambda run_id: None)
    return 3600 * SEEDS / _steady_seconds(events)


def run_bench(model: str, device: torch.device, *, steps: int, tmp: Path, seed_images: dict[int, int]) -> BenchReport:
    """Every measurement on one device, in one process, in one go."""
    batch = 128
    report = BenchReport(
        model=model,
        device=str(device),
        batch=batch,
        plain_ips=bench.plain_loop_ips(model, device, batch, steps),
        gst_ips=bench.gst_loop_ips(model, device, batch, steps),
        compute_ips=bench.compute_ips(model, device, batch, steps),
        eval_ips=bench.eval_ips(model, device),
    )
    plan = plan_workers(str(device), None, (), SEEDS)
    report.workers = plan.size
    for seed_batch, images in seed_images.items():
        alone = runs_per_hour(model, str(device), seed_batch, images, None, tmp)
        together = runs_per_hour(model, str(device), seed_batch, images, plan if plan.size > 1 else None, tmp)
        report.runs_per_hour[str(seed_batch)] = {"one_at_a_time": alone, "together": together}
        report.seed_batching_speedup[str(seed_batch)] = together / alone
    report.peak_memory_mb = bench.peak_memory_mb(device)
    return report
