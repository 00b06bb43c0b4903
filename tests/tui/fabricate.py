"""Writes a fake sweep of a real preset through the real writer: planned pruning events, invented accuracies."""

from __future__ import annotations

import math
from pathlib import Path

from gst.engine.execution.jobs import new_sweep_id, select_jobs
from gst.engine.spec.architectures import ARCHITECTURES
from gst.engine.spec.events import BnActivations, EpochEnded, LayerPruned, Pruned, RunFinished, RunStarted
from gst.engine.spec.preset import load_preset
from gst.engine.spec.schedule import schedule
from gst.store.register import register
from gst.store.writer import StoreWriter


def fabricate(
    db: Path,
    preset: str,
    seeds: int,
    overrides: tuple[str, ...] = (),
    epochs: int | None = None,
    sweep_id: str | None = None,
    arms: list[str] | None = None,
) -> str:
    """Register `preset` (with `seeds` seeds) and write every run; bigger per-event rates give bigger drops and accuracy."""
    extra = (f"base.epochs={epochs}",) if epochs else ()
    sweep = load_preset(preset, (*overrides, *extra, f"seeds={list(range(seeds))}"))
    sweep_id = sweep_id or new_sweep_id()
    jobs = select_jobs(sweep, sweep_id, arms, None)
    writer = StoreWriter(db)
    writer.open()
    register(writer, sweep, sweep_id, jobs, "cpu")
    writer.flush = lambda timeout=None: True  # type: ignore[method-assign]  # keep everything pending: one write at the end
    for job in jobs:
        moments = schedule(job.spec)
        arch = ARCHITECTURES[job.spec.model]
        strength = (
            max((e.k / arch.layer(e.layer).units for events in moments.values() for e in events), default=0.0) * 100
        )
        writer.handle(
            RunStarted(
                run_id=job.run_id,
                seed=job.seed,
                device="cpu",
                params_total=1,
                epochs_total=job.spec.epochs,
                data_subset_hash="x",
            )
        )
        acc = 0.0
        for t in range(job.spec.epochs):
            acc = (
                90 - 60 * math.exp(-t / 5) + 0.05 * strength + 0.3 * job.seed + 0.01 * job.spec.examples_per_class / 100
            )
            drop = 0.2 * strength + 0.1 * job.seed if t in moments else 0.0
            if t in moments:
                layers = tuple(
                    LayerPruned(
                        layer=e.layer, k_pruned=e.k, alive_after=e.alive, score_mean=1.0, score_min=0.5, score_max=2.0
                    )
                    for e in moments[t]
                )
                writer.handle(
                    Pruned(run_id=job.run_id, epoch=t + 1, acc_before=acc, acc_after=acc - drop, layers=layers)
                )
            writer.handle(EpochEnded(run_id=job.run_id, epoch=t + 1, lr=1e-3, train_loss=0.1, train_acc=min(100.0, acc + 8), test_loss=0.5,
                                     test_acc=acc - drop, pre_prune_test_acc=acc, params_remaining=1, seconds=0.1))  # fmt: skip
        if job.spec.bn_probe_epochs:
            for epoch in job.spec.bn_probe_epochs:
                for layer in range(9, 17):
                    edges = tuple(-5 + 0.05 * i for i in range(201))
                    density = tuple(math.exp(-((e + 0.025) ** 2) / 2) / math.sqrt(2 * math.pi) for e in edges[:-1])
                    writer.handle(
                        BnActivations(
                            run_id=job.run_id,
                            epoch=epoch,
                            layer=f"bn{layer}",
                            bin_edges=edges,
                            density=density,
                            mean=0.0,
                            std=1.0,
                            skewness=0.0,
                            kurtosis=0.0,
                            ks_distance=0.01 * epoch,
                        )
                    )
        writer.handle(
            RunFinished(
                run_id=job.run_id,
                final_test_acc=acc,
                best_test_acc=acc,
                final_train_acc=min(100.0, acc + 8),
                params_remaining=1,
                seconds=1.0,
            )
        )
    del writer.flush
    writer.close()
    return sweep_id
