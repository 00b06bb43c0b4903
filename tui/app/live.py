"""What the dashboard shows of a sweep, read in one short pass over the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gst.engine.spec.errors import GstError
from gst.store import browse
from gst.tui.report.stored_preset import stored_preset


@dataclass
class RunLive:
    """One run's status and curves."""

    run_id: str
    arm: str
    seed: int
    status: str
    epochs_total: int
    epochs: list[int] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    drops: dict[int, float] = field(default_factory=dict)  # pruning epoch -> accuracy drop (pp)
    befores: dict[int, float] = field(default_factory=dict)  # pruning epoch -> test accuracy before it (%)

    def drop_marks(self) -> dict[int, float]:
        """Pruning drops keyed by position in the curve."""
        return {i: self.drops[e] for i, e in enumerate(self.epochs) if e in self.drops}

    @property
    def final(self) -> float | None:
        """Test accuracy at the last epoch so far."""
        return self.test_acc[-1] if self.test_acc else None

    @property
    def best(self) -> float | None:
        """Best test accuracy from the last pruning epoch on (the whole run if unpruned), as the engine stores it."""
        last = max(self.drops, default=0)
        values = [v for e, v in zip(self.epochs, self.test_acc, strict=False) if e >= last]
        return max(values) if values else None

    @property
    def gap(self) -> float | None:
        """Train minus test accuracy at the last epoch so far (pp)."""
        return self.train_acc[-1] - self.test_acc[-1] if self.test_acc and self.train_acc else None

    def instability(self, measure: str) -> float | None:
        """The sweep's instability measure so far: mean drop, the last event's drop, or Mean Stability (%)."""
        if measure == "mean_stability":  # as engine.analysis: 100 when unpruned or pruned only at scratch
            if max(self.drops, default=0) <= 1:
                return 100.0
            ratios = [100.0 * (b - self.drops[e]) / b for e, b in self.befores.items() if b]
            return sum(ratios) / len(ratios) if ratios else 100.0
        if not self.drops:
            return None
        if measure == "a2_drop":
            return self.drops[max(self.drops)]
        return sum(self.drops.values()) / len(self.drops)


@dataclass
class SweepLive:
    """A sweep's runs, its pruning events (newest first) and progress."""

    sweep_id: str
    preset: str
    title: str
    runs: list[RunLive]
    events: list[dict[str, Any]]
    arm_names: list[str] = field(default_factory=list)
    instability: str = "mean_drop"  # the preset's [analysis] measure: mean_drop | a2_drop | mean_stability

    @property
    def epochs_done(self) -> int:
        """Epochs measured over all runs."""
        return sum(len(r.epochs) for r in self.runs)

    @property
    def epochs_total(self) -> int:
        """Epochs the whole sweep will train."""
        return sum(r.epochs_total for r in self.runs)

    @property
    def eta_seconds(self) -> float | None:
        """Wall time left: remaining epochs x recent epoch time / runs training at once; None when nothing runs.

        Parallel workers and stacked seeds both show up as several runs `running` at once, and each run's
        `seconds` is the wall time of its epoch (a stacked run's is the whole group's), so dividing by the
        number of running runs turns the sum of epoch times into wall time.
        """
        active = [r for r in self.runs if r.status == "running"]
        if not active:
            return None
        recent = [s for r in active for s in r.seconds[-5:]] or [s for r in self.runs for s in r.seconds[-5:]]
        if not recent:
            return None
        remaining = sum(max(0, r.epochs_total - len(r.epochs)) for r in self.runs if r.status in ("running", "queued"))
        return remaining * (sum(recent) / len(recent)) / len(active)

    def count(self, status: str) -> int:
        """Runs with this status."""
        return sum(1 for r in self.runs if r.status == status)


def load_live(db: Path, sweep_id: str, previous: SweepLive | None = None) -> SweepLive:
    """Read a sweep for the dashboard (`latest` for the newest); with `previous`, only runs that gained epochs
    since are read again (a poll of a 40-run sweep then reads a couple of runs, not 13,000 epochs)."""
    same = previous is not None and sweep_id in (previous.sweep_id, "latest")
    old = {r.run_id: r for r in previous.runs} if previous is not None and same else {}
    rows = browse.sweep_rows(db, sweep_id, {rid: len(r.epochs) for rid, r in old.items()})
    if previous is not None and rows.sweep["sweep_id"] != previous.sweep_id:
        return load_live(db, rows.sweep["sweep_id"])  # `latest` moved on to a new sweep
    runs: dict[str, RunLive] = {}
    fresh: set[str] = set()
    for r in rows.runs:
        kept = old.get(r["run_id"])
        if kept is not None and len(kept.epochs) == (r["epochs_done"] or 0):
            kept.status = r["status"]
            runs[r["run_id"]] = kept
            continue
        fresh.add(r["run_id"])
        runs[r["run_id"]] = RunLive(
            run_id=r["run_id"], arm=r["arm"], seed=r["seed"], status=r["status"], epochs_total=r["epochs_total"] or 0
        )
    for e in rows.epochs:
        if e["run_id"] in fresh:
            run = runs[e["run_id"]]
            run.epochs.append(e["epoch"])
            run.test_acc.append(e["test_acc"])
            run.train_acc.append(e["train_acc"])
            run.seconds.append(e["seconds"] or 0.0)
    kept_events = [
        e
        for e in (previous.events if previous is not None and same else [])
        if e["run_id"] in runs and e["run_id"] not in fresh
    ]
    events = kept_events + [e for e in rows.events if e["run_id"] in fresh]
    for e in rows.events:
        if e["run_id"] in fresh:
            runs[e["run_id"]].drops[e["epoch"]] = e["drop_pp"]
            runs[e["run_id"]].befores[e["epoch"]] = e["acc_before"]
    events.sort(key=lambda e: (e["epoch"], e["run_id"]), reverse=True)
    if previous is not None and same and previous.arm_names:
        names, measure = previous.arm_names, previous.instability
    else:
        names, measure = preset_facts(rows.sweep)
    order = {name: i for i, name in enumerate(names)}
    ordered = sorted(runs.values(), key=lambda r: (order.get(r.arm, len(order)), r.seed))
    return SweepLive(
        sweep_id=rows.sweep["sweep_id"], preset=rows.sweep["preset"], title=rows.sweep["title"] or "",
        runs=ordered, events=events, arm_names=names, instability=measure,
    )  # fmt: skip


def preset_facts(row: dict[str, Any]) -> tuple[list[str], str]:
    """Arm names in the preset's order and its instability measure (none and mean drop when it no longer parses)."""
    try:
        sweep = stored_preset(row)
    except GstError:
        return [], "mean_drop"
    return [a.name for a in sweep.arms], sweep.analysis.instability
