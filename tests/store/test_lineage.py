"""`gst check` finds runs that are not their sweep's expansion and rows that belong to no run."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from gst.store.invariants import check_sweep
from gst.tui.entry import app
from tests.tui.fabricate import fabricate


def edit(db: Path, *statements: str) -> None:
    with duckdb.connect(str(db)) as conn:
        for sql in statements:
            conn.execute(sql)


def spec_of(db: Path, run_id: str) -> dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as conn:
        (text,) = conn.execute("SELECT spec_json FROM runs WHERE run_id = ?", [run_id]).fetchone()  # type: ignore[misc]
    return dict(json.loads(text))


def test_a_fabricated_sweep_holds_and_precision_may_differ(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="s0")
    spec = {**spec_of(db, "s0-prune_L-0"), "precision": "bf16"}  # as `--precision bf16` stores it
    edit(db, f"UPDATE runs SET spec_json = '{json.dumps(spec)}' WHERE run_id = 's0-prune_L-0'")
    assert check_sweep(db, None) == (3, [])


def test_check_names_specs_that_are_not_the_expansion_and_rows_without_their_run(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="s0")
    changed = {**spec_of(db, "s0-prune_S-0"), "lr": 0.5, "epochs": 5}
    edit(
        db,
        f"UPDATE runs SET spec_json = '{json.dumps(changed)}' WHERE run_id = 's0-prune_S-0'",
        "UPDATE runs SET arm = 'prune_X' WHERE run_id = 's0-prune_L-0'",
        "INSERT INTO epochs (run_id, epoch) VALUES ('ghost-a-0', 1), ('ghost-a-0', 2)",
        "INSERT INTO prune_layers (run_id, epoch, layer, k_pruned, alive_after) VALUES ('ghost-b-0', 1, 'fc1', 1, 1)",
        "INSERT INTO perturbation VALUES ('ghost-c-0', 1, 0, 0.0, 1.0, 50.0)",
        "INSERT INTO runs (run_id, sweep_id, arm, seed, status, model, dataset, spec_json, spec_hash) "
        "SELECT 'lost-unpruned-0', 'lost', arm, 0, 'queued', model, dataset, spec_json, spec_hash FROM runs "
        "WHERE run_id = 's0-unpruned-0'",
    )
    _, violations = check_sweep(db, None)
    found = {(v.check, v.run_id, v.detail) for v in violations}
    assert (
        "spec is the sweep's expansion",
        "s0-prune_S-0",
        "spec differs from arm prune_S of its sweep's preset in lr",
    ) in found
    assert ("spec is the sweep's expansion", "s0-prune_L-0", "its id is not s0-prune_X-0 (sweep-arm-seed)") in found
    assert ("rows have their run", "ghost-a-0", "2 epochs row(s) of a run not in runs") in found
    assert ("rows have their run", "ghost-b-0", "1 prune_layers row(s) of a run not in runs") in found
    assert ("rows have their run", "ghost-c-0", "1 perturbation row(s) of a run not in runs") in found
    assert ("runs have their sweep", "lost-unpruned-0", "sweep lost is not in sweeps") in found
    result = CliRunner().invoke(app, ["check", "--db", str(db)])
    assert result.exit_code == 1 and "violation(s)" in result.stderr and "ghost-a-0" in result.stdout


def test_an_arm_the_preset_does_not_have_and_a_preset_that_no_longer_loads(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="s0")
    fabricate(db, "smoke", seeds=1, sweep_id="s1")
    edit(
        db,
        "UPDATE runs SET arm = 'prune_X', run_id = 's0-prune_X-0' WHERE run_id = 's0-prune_L-0'",
        "UPDATE sweeps SET overrides = '[\"base.epochs=0\"]' WHERE sweep_id = 's1'",
    )
    _, violations = check_sweep(db, None)
    details = {v.detail for v in violations}
    assert "arm 'prune_X' is not an arm of its sweep's preset (arms: unpruned, prune_S, prune_L)" in details
    assert any(d.startswith("sweep s1: its stored preset does not load (smoke.toml: ") for d in details)
