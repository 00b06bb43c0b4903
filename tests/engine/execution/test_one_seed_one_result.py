"""One seed, one result: on a CPU, a run's stored numbers depend on its spec, seed, device and precision only.

Not on `--workers`, not on the `--arms`/`--seeds` subset, not on whether it trains in this process or a worker
process, first or after other runs, nor on an interruption and a resume. Real `gst` processes; every column of
`epochs` and `prune_events` is compared bitwise except wall-clock `seconds`. (Ray: test_ray.py, where a run
resumed on another node after its node died equals the same seed trained alone.)
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from gst.store import queries
from gst.store.sql import fetch
from tests.processes import Proc, Processes

pytestmark = pytest.mark.slow

# Two arms (unpruned, so that every epoch shows a difference of summation order, and pruned, for prune_events),
# two seeds; about half a second per epoch on two cores.
PRESET = """
title = "layouts"
seeds = [0, 1]
[base]
model = "conv4"
dataset = "synthetic"
examples_per_class = 32
epochs = 5
batch_size = 32
[base.prune]
layers = ["fc1"]
score = "magnitude"
target = "large"
start_epoch = [1]
end_epoch = [3]
fraction = [0.9]
retrain_period = 1
[[arm]]
name = "base"
prune = false
[[arm]]
name = "prune_L"
"""
TABLES = {
    "epochs": "SELECT * EXCLUDE (seconds) FROM epochs ORDER BY run_id, epoch",
    "prune_events": "SELECT * FROM prune_events ORDER BY run_id, epoch",
}
Rows = dict[str, dict[str, list[dict[str, object]]]]


def rows(db: Path) -> Rows:
    """Per run (arm-seed, without the sweep id): every row of each table, without its run id."""
    found: Rows = {}
    for table, sql in TABLES.items():
        for row in fetch(db, sql):
            run = str(row.pop("run_id")).split("-", 1)[1]
            found.setdefault(run, {t: [] for t in TABLES})[table].append(row)
    return found


def test_one_seed_gives_bitwise_the_same_rows_in_every_layout(tmp_path: Path, procs: Processes) -> None:
    spec = tmp_path / "layouts.toml"
    spec.write_text(PRESET)

    def run(name: str, *extra: str, env: dict[str, str] | None = None) -> Proc:
        db = str(tmp_path / f"{name}.duckdb")
        return procs.gst("run", "spec", str(spec), "--db", db, "--device", "cpu", "--sweep-id", name, *extra, env=env)

    layouts = {
        "default": [],  # four runs, one worker process per core
        "alone": ["--arms", "base", "--seeds", "1"],  # one run, trained in the gst process itself
        "workers1": ["--workers", "1", "--seeds", "1"],  # two runs in one process: prune_L-1 after base-1
    }
    for name, extra in layouts.items():
        proc = run(name, *extra)
        assert proc.wait() == 0, proc.output()
    # stopped by SIGINT at an epoch boundary (paused after epoch 2's events), then resumed: one run, in-process
    paused = tmp_path / "paused"
    proc = run(
        "resumed", "--arms", "prune_L", "--seeds", "1", "--checkpoint-every", "1",
        env={"GST_PAUSE": "epoch_end:2", "GST_PAUSED": str(paused)},
    )  # fmt: skip
    proc.wait_for(paused.exists, "the pause after epoch 2")
    proc.send_signal(signal.SIGINT)
    assert proc.wait() == 130, proc.output()
    (stopped,) = queries.runs(tmp_path / "resumed.duckdb")
    assert stopped["status"] == "interrupted" and stopped["epochs_done"] == 2
    resume = procs.gst("resume", "resumed", "--db", str(tmp_path / "resumed.duckdb"), "--device", "cpu")
    assert resume.wait() == 0, resume.output()

    reference = rows(tmp_path / "default.duckdb")
    assert sorted(reference) == ["base-0", "base-1", "prune_L-0", "prune_L-1"]
    assert all(len(r["epochs"]) == 5 for r in reference.values()) and len(reference["prune_L-1"]["prune_events"]) == 3
    for name in ("alone", "workers1", "resumed"):
        got = rows(tmp_path / f"{name}.duckdb")
        assert got, name
        for run_name, tables in got.items():
            assert tables == reference[run_name], f"{run_name} in layout {name} differs from the default layout"
    (resumed,) = queries.runs(tmp_path / "resumed.duckdb")
    assert resumed["status"] == "completed" and resumed["resumed_from"] == 1  # epoch 2 ran again, its row replaced
    for name in (*layouts, "resumed"):
        assert {r["threads"] for r in fetch(tmp_path / f"{name}.duckdb", "SELECT threads FROM runs")} == {1}

    # the comparison can fail: two threads (what a lone in-process run used to get) give other numbers, recorded
    proc = run("threads2", "--arms", "base", "--seeds", "1", "--threads", "2", env={"MKL_DYNAMIC": "FALSE"})
    assert proc.wait() == 0, proc.output()
    (two,) = queries.runs(tmp_path / "threads2.duckdb")
    assert two["threads"] == 2
    assert rows(tmp_path / "threads2.duckdb")["base-1"] != reference["base-1"]
