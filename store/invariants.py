"""`gst check`: the database's invariants, verified run by run, with every violation named.

What must hold: each run's epochs are 1..epochs_done with no gap and none past its spec; pruning moments
only at the epochs its schedule prunes, each with its layers, and drop = before - after; statuses agree
with the rows (completed means every epoch stored, diverged means it stopped early); each run's spec is its
sweep's expansion and every row has its run (`gst.store.lineage`); no journal is left by a process that is gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gst.engine.spec.schedule import schedule
from gst.engine.spec.specs import spec_from_dict
from gst.store.db import files_dir
from gst.store.lineage import expansion_problems, orphan_rows
from gst.store.sql import Row, fetch
from gst.store.writer import pid_alive


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant."""

    check: str
    run_id: str
    detail: str


def check_sweep(db: Path, sweep_id: str | None) -> tuple[int, list[Violation]]:
    """(runs checked, violations) for one sweep, or the whole database when `sweep_id` is None."""
    where, params = ("WHERE sweep_id = ?", [sweep_id]) if sweep_id else ("", [])
    runs = fetch(db, f"SELECT run_id, status, spec_json, epochs_done, epochs_total FROM runs {where}", params)
    ids = [r["run_id"] for r in runs]
    epochs = _lists(
        db,
        "SELECT run_id, list(epoch ORDER BY epoch) AS v FROM epochs WHERE list_contains(?, run_id) GROUP BY run_id",
        ids,
    )
    moments = {
        r["run_id"]: r
        for r in fetch(
            db,
            "SELECT run_id, list(epoch ORDER BY epoch) AS epochs, max(abs(drop_pp - (acc_before - acc_after))) AS err "
            "FROM prune_events WHERE list_contains(?, run_id) GROUP BY run_id",
            [ids],
        )
    }
    layered = _lists(
        db,
        "SELECT run_id, list(DISTINCT epoch ORDER BY epoch) AS v FROM prune_layers WHERE list_contains(?, run_id) GROUP BY run_id",
        ids,
    )
    found: list[Violation] = []
    for run in runs:
        found += _check_run(
            run, epochs.get(run["run_id"], []), moments.get(run["run_id"]), layered.get(run["run_id"], [])
        )
    found += [Violation(*problem) for problem in expansion_problems(db, sweep_id) + orphan_rows(db)]
    return len(runs), found + orphan_journals(db)


def _lists(db: Path, sql: str, ids: list[str]) -> dict[str, list[int]]:
    return {r["run_id"]: list(r["v"]) for r in fetch(db, sql, [ids])}


def _check_run(run: Row, epochs: list[int], moments: Row | None, layered: list[int]) -> list[Violation]:
    run_id, status = str(run["run_id"]), run["status"]
    total, done = int(run["epochs_total"] or 0), int(run["epochs_done"] or 0)
    bad: list[Violation] = []
    if epochs != list(range(1, len(epochs) + 1)):
        bad.append(Violation("contiguous epochs", run_id, f"stored epochs are not 1..n: {_short(epochs)}"))
    if epochs and max(epochs) > total:
        bad.append(Violation("epochs within spec", run_id, f"epoch {max(epochs)} stored, spec has {total}"))
    if epochs and done != max(epochs):
        bad.append(Violation("epochs_done", run_id, f"epochs_done {done} but epochs stored up to {max(epochs)}"))
    if status == "completed" and len(epochs) != total:
        bad.append(Violation("completed runs complete", run_id, f"completed with {len(epochs)} of {total} epochs"))
    if status == "queued" and epochs:
        bad.append(Violation("queued runs empty", run_id, f"queued with {len(epochs)} epochs stored"))
    if status == "diverged" and len(epochs) >= total:
        bad.append(Violation("diverged runs stopped", run_id, f"diverged with every one of its {total} epochs stored"))
    spec = spec_from_dict(json.loads(str(run["spec_json"])), f"run {run_id}")
    planned = {t + 1 for t in schedule(spec)}
    stored = list(moments["epochs"]) if moments else []
    reached = {e for e in planned if e in set(epochs)}
    if set(stored) - planned:
        bad.append(
            Violation(
                "pruning on schedule",
                run_id,
                f"pruning at epochs {_short(sorted(set(stored) - planned))} not in its schedule",
            )
        )
    if reached - set(stored):
        bad.append(
            Violation(
                "pruning on schedule",
                run_id,
                f"no pruning event stored for epochs {_short(sorted(reached - set(stored)))}",
            )
        )
    if moments and float(moments["err"] or 0.0) > 1e-9:
        bad.append(Violation("drop = before - after", run_id, f"off by {moments['err']}"))
    if sorted(layered) != sorted(stored):
        bad.append(Violation("pruned layers", run_id, "pruning moments and their layer rows differ"))
    return bad


def orphan_journals(db: Path) -> list[Violation]:
    """Journals whose owner process is gone: measurements not yet in the database (`gst sync` applies them)."""
    folder = files_dir(db) / "journal"
    left = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        owner = path.name.split("-", 1)[0]
        if not owner.isdigit() or not pid_alive(int(owner)):
            left.append(Violation("no orphan journals", "-", f"{path.name} is not applied (run `gst sync`)"))
    return left


def _short(values: list[int]) -> str:
    text = ", ".join(map(str, values[:8]))
    return text + (f", … ({len(values)} in all)" if len(values) > 8 else "")
