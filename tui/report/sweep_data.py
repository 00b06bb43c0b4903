"""Loads a stored sweep as the engine's analysis inputs: its preset (with overrides) and per-run records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gst.engine.analysis.sweep_stats import RunRecord, SweepAnalysis, analyze
from gst.engine.spec.datasets import test_images
from gst.engine.spec.preset import Sweep
from gst.engine.spec.specs import RunSpec
from gst.store import queries
from gst.tui.report.stored_preset import stored_preset
from gst.tui.report.tables import sweep_heading


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredSweep:
    """A sweep as stored: its row, the re-parsed preset, and every run's records."""

    row: dict[str, Any]
    sweep: Sweep
    records: list[RunRecord]
    specs: dict[str, RunSpec]  # arm -> spec
    diverged: tuple[str, ...] = ()  # runs whose loss became NaN or infinite (left out of every statistic)

    @property
    def sweep_id(self) -> str:
        """The sweep's id."""
        return str(self.row["sweep_id"])

    @property
    def arm_order(self) -> list[str]:
        """Arms in preset order, limited to those with runs in this sweep."""
        present = {r.arm for r in self.records}
        return [a.name for a in self.sweep.arms if a.name in present]

    def notes(self) -> list[str]:
        """What this sweep ran differently from its preset's title, besides the --set overrides: a test subset
        (a deviation from the paper, which tests on the whole split) and the arms it lacks (a partial sweep)."""
        notes = []
        subsets = sorted({(s.dataset, s.test_per_class) for s in self.specs.values() if s.test_per_class})
        for dataset, per_class in subsets:
            whole = test_images(dataset)
            notes.append(
                f"test subset {per_class}/class: {test_images(dataset, per_class):,} of {whole:,} {dataset} test images, not the paper's all"
            )
        present = {r.arm for r in self.records}
        lacking = [a.name for a in self.sweep.arms if a.name not in present]
        if lacking:
            notes.append(f"partial: lacks arm{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}")
        return notes

    @property
    def heading(self) -> str:
        """The sweep's title with everything that ran differently (see `sweep_heading`)."""
        return sweep_heading(self.row, self.notes())

    def analyze(self) -> SweepAnalysis:
        """Summaries with the preset's instability and accuracy measures."""
        a = self.sweep.analysis
        accuracy = "best_test_acc" if a.accuracy == "best" else "final_test_acc"
        gap = "gap_at_best" if a.gap == "best_epoch" else "gap"
        return analyze(
            self.records, self.arm_order, a.instability, accuracy, a.correlation_arms, a.correlation_groups, gap
        )


def load_sweep(db: Path, sweep_id: str) -> StoredSweep:
    """Read one sweep (`latest` for the newest) with all its measurements."""
    row = queries.sweep(db, sweep_id)
    sweep = stored_preset(row)
    runs = queries.sweep_runs(db, row["sweep_id"])
    ids = [r["run_id"] for r in runs]
    curves: dict[str, list[dict[str, Any]]] = {}
    for e in queries.accuracy_curves(db, ids):
        curves.setdefault(e["run_id"], []).append(e)
    events: dict[str, list[tuple[int, float, float]]] = {}
    for e in queries.accuracy_drops(db, ids):
        events.setdefault(e["run_id"], []).append((e["epoch"], e["acc_before"], e["acc_after"]))
    records = [
        RunRecord(
            run_id=r["run_id"], arm=r["arm"], seed=r["seed"], completed=r["status"] == "completed",
            epochs=tuple(e["epoch"] for e in curves.get(r["run_id"], [])),
            test_acc=tuple(e["test_acc"] for e in curves.get(r["run_id"], [])),
            train_acc=tuple(e["train_acc"] for e in curves.get(r["run_id"], [])),
            events=tuple(events.get(r["run_id"], [])),
        )
        for r in runs
    ]  # fmt: skip
    specs = {a.name: a.spec for a in sweep.arms}
    diverged = tuple(r["run_id"] for r in runs if r["status"] == "diverged")
    return StoredSweep(row=row, sweep=sweep, records=records, specs=specs, diverged=diverged)
