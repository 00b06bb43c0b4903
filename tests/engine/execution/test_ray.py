"""`--backend ray` on a local two-node Ray cluster: events stream back, a lost node's stack resumes elsewhere."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from gst.engine.checkpoint import load
from gst.engine.execution.jobs import select_jobs, stack_jobs
from gst.engine.execution.options import ExecutionOptions, RayOptions
from gst.engine.spec.errors import GstError
from gst.engine.spec.events import EpochEnded, Event, RunStarted
from gst.engine.spec.preset import load_preset
from gst.engine.train_job import execute
from gst.store import queries
from gst.store.sql import fetch
from gst.tui.entry import app
from gst.tui.runner.sweep import execute_sweep
from tests.conftest import tiny_preset
from tests.processes import Processes

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.xdist_group("ray")  # one local cluster per test worker, shared by these tests
EPOCHS = 5


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A head node without CPUs (never removed) and two 1-CPU worker nodes; never a cluster left on the machine."""
    from ray.cluster_utils import Cluster

    os.environ.pop("RAY_ADDRESS", None)
    # a removed node is declared dead after 3 missed 0.5 s health checks instead of Ray's default 5 x 3 s
    checks = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500, "health_check_failure_threshold": 3}
    made = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "_system_config": checks})
    nodes = [made.add_node(num_cpus=1) for _ in range(2)]
    made.wait_for_nodes()
    ray.init(address=made.address, logging_level="ERROR", log_to_driver=False)
    yield made, nodes
    ray.shutdown()
    made.shutdown()


def test_without_ray_the_backend_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.delitem(sys.modules, "gst.engine.execution.ray_cluster", raising=False)
    with pytest.raises(GstError, match=r"pip install 'gst\[ray\]'"):
        importlib.import_module("gst.engine.execution.ray_cluster")


def test_unreachable_address_is_one_line_and_nothing_is_written(db: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "preset", "smoke", "--db", str(db), "--backend", "ray", "--address", "127.0.0.1:1"]
    )
    assert result.exit_code == 1 and "--address 127.0.0.1:1: no Ray cluster is reachable" in result.output
    assert not db.exists()


def test_probe_reports_an_unshared_checkpoint_dir(tmp_path: Path) -> None:
    from gst.engine.execution.ray_cluster import MARKER, _probe

    (tmp_path / MARKER).write_text("abc")
    assert _probe(str(tmp_path), "abc", "")["marker"] and _probe(str(tmp_path), "abc", "")["writable"]
    assert not _probe(str(tmp_path), "another machine's marker", "")["marker"]


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-attempts", "0"), ("--cpus-per-stack", "0"), ("--gpus-per-stack", "-1"), ("--workers", "2")],
)
def test_bad_ray_options_exit_1_before_anything_is_written(db: Path, option: str, value: str) -> None:
    result = CliRunner().invoke(app, ["run", "preset", "smoke", "--db", str(db), "--backend", "ray", option, value])
    assert result.exit_code == 1 and option in result.output and not db.exists()


@pytest.mark.slow
def test_lost_node_batch_is_resubmitted_with_contiguous_epochs(cluster: Any, tmp_path: Path) -> None:
    """A stack streams its events; remove_node mid-stream (after epoch 3): the stack is resubmitted to the
    other node, resumes from a checkpoint, and the database holds epochs 1..N once each."""
    from gst.engine.execution.ray_cluster import RayBackend

    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(tiny_preset(epochs=EPOCHS, epc=16, end=3))
    sweep = load_preset(str(spec_file))
    jobs = select_jobs(sweep, "ray1", None, None)
    db = tmp_path / "gst.duckdb"
    options = ExecutionOptions(
        device="cpu", checkpoint_dir=tmp_path / "shared", journal_dir=tmp_path / "journal", checkpoint_every="1"
    )
    made, nodes = cluster
    backend = RayBackend(options, RayOptions(address=made.address, cpus_per_stack=1))
    where: list[str] = []
    epochs_seen: list[int] = []

    def observe(event: Event) -> None:
        if isinstance(event, RunStarted):
            where.append(event.worker)
        if isinstance(event, EpochEnded):
            epochs_seen.append(event.epoch)
            if event.epoch == 3 and len(where) == 1:
                made.remove_node(next(n for n in nodes if n.node_id.startswith(where[0].split()[1])))

    outcome = execute_sweep(
        backend, stack_jobs(jobs, 1, "cpu"), db=db, observer=observe, sweep=sweep, sweep_id="ray1", device="cpu"
    )
    assert len(where) == 2 and where[0] != where[1], "the retry ran on the other node"
    assert not outcome.failed and len(outcome.finished) == 1 and epochs_seen[:3] == [1, 2, 3]
    (run,) = fetch(db, "SELECT * FROM runs")
    assert run["status"] == "completed" and run["backend"] == "ray" and run["attempt"] == 2
    # the checkpoint of epoch 3 is written off the training thread, so the node may die just before it lands
    assert 2 <= run["resumed_from"] < EPOCHS
    assert [r["epoch"] for r in queries.epochs(db, [run["run_id"]])] == list(range(1, EPOCHS + 1))
    assert not list((tmp_path / "shared" / "journal").rglob("*.jsonl")), "journals are deleted once stored"


def journaled(shared: Path) -> list[dict[str, Any]]:
    """Every event the Ray tasks have journaled so far (a torn last line skipped)."""
    events = []
    for path in sorted((shared / "journal").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                events.append(json.loads(line)["event"])
    return events


@pytest.mark.slow
def test_end_to_end_gst_run_survives_a_removed_node(cluster: Any, tmp_path: Path, procs: Processes) -> None:
    """`gst run smoke --backend ray` (6 epochs, checkpoints every 3) on two 1-CPU nodes; the node of one run is
    removed once its epoch-3 checkpoint is on disk: every run completes, that run resumed from epoch 3 on the
    other node, and its rows equal the same seed trained locally."""
    made, nodes = cluster
    alive = [n for n in nodes if n in made.worker_nodes]
    nodes[:] = alive + [made.add_node(num_cpus=1) for _ in range(2 - len(alive))]
    made.wait_for_nodes()
    db, shared = tmp_path / "gst.duckdb", tmp_path / "shared"
    args = ["--arms", "prune_S", "--set", "base.epochs=6", "--sweep-id", "e2e", "--db", str(db)]
    proc = procs.gst(
        *["run", "preset", "smoke", *args, "--backend", "ray", "--address", made.address],
        *["--checkpoint-dir", str(shared), "--checkpoint-every", "3"],
    )
    proc.wait_for(lambda: any(e["type"] == "EpochEnded" and e["epoch"] == 3 for e in journaled(shared)), "epoch 3")
    third = next(e for e in journaled(shared) if e["type"] == "EpochEnded" and e["epoch"] == 3)
    victim = third["run_id"]
    started = next(e for e in journaled(shared) if e["type"] == "RunStarted" and e["run_id"] == victim)
    proc.wait_for(
        lambda: load(shared / f"{victim}.pt", torch.device("cpu"))["progress"]["epochs_done"] == 3, "its checkpoint"
    )
    made.remove_node(next(n for n in nodes if n.node_id.startswith(started["worker"].split()[1])))
    assert proc.wait() == 0, proc.output()
    runs = {r["run_id"]: r for r in fetch(db, "SELECT * FROM runs")}
    assert len(runs) == 2 and all(r["status"] == "completed" for r in runs.values())
    assert runs[victim]["attempt"] == 2 and runs[victim]["resumed_from"] == 3
    assert runs[victim]["worker"] != started["worker"]
    stored = queries.epochs(db, [victim])
    assert [r["epoch"] for r in stored] == list(range(1, 7))

    # one seed, one result: the same seed trained here, in this process, gives bitwise the same rows
    sweep = load_preset("smoke", ("base.epochs=6",))
    job = next(j for j in select_jobs(sweep, "e2e", ["prune_S"], None) if j.run_id == victim)
    local: list[EpochEnded] = []
    execute(job, device="cpu", emit=lambda e: local.append(e) if isinstance(e, EpochEnded) else None)
    assert {r["threads"] for r in runs.values()} == {1}
    for row, event in zip(stored, local, strict=True):
        assert {k: v for k, v in row.items() if k not in ("run_id", "seconds")} == {
            k: v for k, v in asdict(event).items() if k not in ("run_id", "seconds")
        }
