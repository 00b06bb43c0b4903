"""`gst check`, continued: every run is what its sweep's preset expands to, and every row belongs to a run.

A sweep stores its preset text and the --set overrides it ran with; rebuilt (`gst.engine.spec.stored`), each of
its arms gives the spec its runs must hold (`--precision` may have changed the precision of every arm), and a
run's id is `<sweep>-<arm>-<seed>`. A measurement row whose run is missing, or a run whose sweep is missing,
belongs to nothing a summary can name.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from gst.engine.spec.errors import GstError
from gst.engine.spec.specs import spec_from_dict, spec_to_dict
from gst.engine.spec.stored import stored_sweep
from gst.store.sql import Row, fetch

MEASUREMENT_TABLES = ("epochs", "prune_events", "prune_layers", "bn_activations", "flatness", "perturbation")
NAMED = 5  # orphaned runs named one by one per table; the rest are counted


def expansion_problems(db: Path, sweep_id: str | None) -> list[tuple[str, str, str]]:
    """(check, run_id, detail) for each run whose spec, arm or id is not its sweep's expansion."""
    where, params = ("WHERE sweep_id = ?", [sweep_id]) if sweep_id else ("", [])
    presets: dict[str, dict[str, Any] | str] = {}
    for row in fetch(db, f"SELECT sweep_id, preset, preset_toml, overrides FROM sweeps {where}", params):
        try:
            presets[row["sweep_id"]] = {a.name: a.spec for a in stored_sweep(row).arms}
        except (GstError, ValueError, TypeError) as exc:
            presets[row["sweep_id"]] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    found = []
    for sid, arms in presets.items():
        if isinstance(arms, str):
            found.append(
                ("spec is the sweep's expansion", "-", f"sweep {sid}: its stored preset does not load ({arms})")
            )
    runs = fetch(db, f"SELECT run_id, sweep_id, arm, seed, spec_json FROM runs {where} ORDER BY run_id", params)
    for run in runs:
        preset = presets.get(run["sweep_id"])
        if isinstance(preset, dict):
            detail = _run_problem(run, preset)
            if detail:
                found.append(("spec is the sweep's expansion", str(run["run_id"]), detail))
    return found


def _run_problem(run: Row, arms: dict[str, Any]) -> str | None:
    """What is wrong with one run against its sweep's arms, or None."""
    name = f"{run['sweep_id']}-{run['arm']}-{run['seed']}"
    if run["run_id"] != name:
        return f"its id is not {name} (sweep-arm-seed)"
    expected = arms.get(run["arm"])
    if expected is None:
        return f"arm {run['arm']!r} is not an arm of its sweep's preset (arms: {', '.join(arms)})"
    try:
        spec = spec_from_dict(json.loads(str(run["spec_json"])), f"run {run['run_id']}")
    except (GstError, ValueError) as exc:
        return f"its stored spec does not load ({str(exc).splitlines()[0]})"
    spec = replace(spec, precision=expected.precision)  # --precision sets it for every arm of a sweep
    if spec == expected:
        return None
    mine, theirs = spec_to_dict(spec), spec_to_dict(expected)
    keys = sorted(k for k in theirs if mine.get(k) != theirs.get(k))
    return f"spec differs from arm {run['arm']} of its sweep's preset in {', '.join(keys)}"


def orphan_rows(db: Path) -> list[tuple[str, str, str]]:
    """(check, run_id, detail) for measurement rows without their run, and runs without their sweep."""
    found = []
    for table in MEASUREMENT_TABLES:
        rows = fetch(
            db,
            f"SELECT run_id, count(*) AS n FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs) "
            "GROUP BY run_id ORDER BY run_id",
        )
        for r in rows[:NAMED]:
            found.append(("rows have their run", str(r["run_id"]), f"{r['n']} {table} row(s) of a run not in runs"))
        if len(rows) > NAMED:
            found.append(("rows have their run", "-", f"{table}: rows of {len(rows) - NAMED} more runs not in runs"))
    runs = fetch(
        db, "SELECT run_id, sweep_id FROM runs WHERE sweep_id NOT IN (SELECT sweep_id FROM sweeps) ORDER BY run_id"
    )
    for r in runs[:NAMED]:
        found.append(("runs have their sweep", str(r["run_id"]), f"sweep {r['sweep_id']} is not in sweeps"))
    if len(runs) > NAMED:
        found.append(("runs have their sweep", "-", f"{len(runs) - NAMED} more runs of sweeps not in sweeps"))
    return found
