"""What the dashboard shows of a sweep, read in one short pass over the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gst.engine.errors import GstError
from gst.store import queries


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

    def drop_marks(self) -> dict[int, float]:
        """Pruning drops keyed by position in the curve."""
        return {i: self.drops[e] for i, e in enumerate(self.epochs) if e in self.drops}


@dataclass
class SweepLive:
    """A sweep's runs, its pruning events (newest first) and progress."""

    sweep_id: str
    preset: str
    title: str
    runs: list[RunLive]
    events: list[dict[str, Any]]

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


def load_live(db: Path, sweep_id: str) -> SweepLive:
    """Read a sweep for the dashboard (`latest` for the newest)."""
    sweep = queries.sweep(db, sweep_id)
    sid = sweep["sweep_id"]
    rows = queries.fetch(
        db, "SELECT run_id, arm, seed, status, epochs_total FROM runs WHERE sweep_id = ? ORDER BY rowid", [sid]
    )
    runs = {
        r["run_id"]: RunLive(
            run_id=r["run_id"], arm=r["arm"], seed=r["seed"], status=r["status"], epochs_total=r["epochs_total"] or 0
        )
        for r in rows
    }
    ids = list(runs)
    for e in queries.fetch(
        db,
        "SELECT run_id, epoch, test_acc, train_acc, seconds FROM epochs WHERE list_contains(?, run_id) ORDER BY run_id, epoch",
        [ids],
    ):
        run = runs[e["run_id"]]
        run.epochs.append(e["epoch"])
        run.test_acc.append(e["test_acc"])
        run.train_acc.append(e["train_acc"])
        run.seconds.append(e["seconds"] or 0.0)
    events = queries.prune_events(db, ids)
    for e in events:
        runs[e["run_id"]].drops[e["epoch"]] = e["drop_pp"]
    events.sort(key=lambda e: (e["epoch"], e["run_id"]), reverse=True)
    order = {name: i for i, name in enumerate(arm_order(sweep))}
    ordered = sorted(runs.values(), key=lambda r: (order.get(r.arm, len(order)), r.seed))
    return SweepLive(sweep_id=sid, preset=sweep["preset"], title=sweep["title"] or "", runs=ordered, events=events)


def arm_order(sweep: dict[str, Any]) -> list[str]:
    """Arm names in the order of the sweep's preset."""
    from gst.tui.sweep_data import stored_preset  # lazily: it pulls in scipy (seconds of start-up)

    try:
        return [a.name for a in stored_preset(sweep).arms]
    except GstError:
        return []
