"""`--backend ray` on a local two-node Ray cluster: events stream back, a lost node's batch resumes elsewhere."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from gst.engine.cadence import CheckpointEvery
from gst.engine.checkpoint import load
from gst.engine.errors import GstError
from gst.engine.events import EpochEnded, Event, RunStarted
from gst.engine.execution.jobs import ExecOptions, batch_jobs, select_jobs
from gst.engine.preset import load_preset
from gst.engine.run import execute
from gst.store import queries
from gst.tui.cli import app
from gst.tui.runner import execute_sweep

from ..conftest import gst_process, tiny_preset  # type: ignore[import-not-found]
from .test_processes import wait_for

ray = pytest.importorskip("ray")
EPOCHS = 6


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A head node without CPUs (never removed) and two 1-CPU worker nodes; never a cluster left on the machine."""
    from ray.cluster_utils import Cluster

    os.environ.pop("RAY_ADDRESS", None)
    made = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    nodes = [made.add_node(num_cpus=1) for _ in range(2)]
    made.wait_for_nodes()
    ray.init(address=made.address, logging_level="ERROR", log_to_driver=False)
    yield made, nodes
    ray.shutdown()
    made.shutdown()


def test_without_ray_the_backend_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.delitem(sys.modules, "gst.engine.execution.ray_backend", raising=False)
    with pytest.raises(GstError, match=r"pip install 'gst\[ray\]'"):
        importlib.import_module("gst.engine.execution.ray_backend")


def test_probe_reports_an_unshared_checkpoint_dir(tmp_path: Path) -> None:
    from gst.engine.execution.ray_backend import MARKER, _probe

    (tmp_path / MARKER).write_text("abc")
    assert _probe(str(tmp_path), "abc", "")["marker"] and _probe(str(tmp_path), "abc", "")["writable"]
    assert not _probe(str(tmp_path), "another machine's marker", "")["marker"]


def test_bad_ray_options_exit_1_before_anything_is_written(db: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "preset", "smoke", "--db", str(db), "--backend", "ray", "--max-attempts", "0"]
    )
    assert result.exit_code == 1 and "--max-attempts" in result.output and not db.exists()


@pytest.mark.slow
def test_lost_node_batch_resumes_elsewhere_with_contiguous_epochs(cluster: Any, tmp_path: Path) -> None:
    """remove_node after the 3rd epoch of a run: its batch is resubmitted, resumes from its checkpoint (checkpoints
    every epoch), and the database ends with epochs 1..N once each, equal to the same seed trained locally."""
    from gst.engine.execution.ray_backend import RayBackend

    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(tiny_preset(epochs=EPOCHS, epc=16, end=3).replace("seeds = [0]", "seeds = [0, 1]"))
    sweep = load_preset(str(spec_file))
    jobs = select_jobs(sweep, "ray1", None, None)
    db = tmp_path / "gst.duckdb"
    options = ExecOptions(
        device="cpu",
        checkpoint_dir=tmp_path / "shared",
        journal_dir=tmp_path / "journal",
        checkpoint_every=CheckpointEvery(epochs=1, seconds=None),
    )
    made, nodes = cluster
    backend = RayBackend(options, address=made.address, cpus_per_batch=1, max_attempts=3)
    victim = jobs[0].run_id
    removed: list[str] = []
    seen: list[Event] = []

    def observe(event: Event) -> None:
        seen.append(event)
        if isinstance(event, RunStarted) and event.run_id == victim and event.attempt == 1:
            removed.append(event.worker.split()[1])
        if isinstance(event, EpochEnded) and event.run_id == victim and event.epoch == 3 and len(removed) == 1:
            node = next(n for n in nodes if n.node_id.startswith(removed[0]))
            made.remove_node(node)
            removed.append("done")

    outcome = execute_sweep(
        backend, batch_jobs(jobs, 1, "cpu"), db=db, observer=observe, sweep=sweep, sweep_id="ray1", device="cpu"
    )
    assert removed[-1] == "done" and not outcome.failed and len(outcome.finished) == 2
    runs = {r["run_id"]: r for r in queries.fetch(db, "SELECT * FROM runs")}
    assert all(r["status"] == "completed" and r["backend"] == "ray" for r in runs.values())
    # the checkpoint of epoch 3 is written off the training thread, so the node may die just before it lands
    assert runs[victim]["attempt"] == 2 and 2 <= runs[victim]["resumed_from"] < EPOCHS
    assert runs[victim]["worker"] != f"node {removed[0]} cpu", "the retry ran on the other node"
    stored = queries.epochs(db, [victim])
    assert [r["epoch"] for r in stored] == list(range(1, EPOCHS + 1))
    assert not list((tmp_path / "shared" / "journal").rglob("*.jsonl")), "journals are deleted once stored"

    local: list[EpochEnded] = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the Ray task trained
    try:
        execute(jobs[0], device="cpu", emit=lambda e: local.append(e) if isinstance(e, EpochEnded) else None)
    finally:
        torch.set_num_threads(threads)
    assert [round(r["test_acc"], 6) for r in stored] == [round(e.test_acc, 6) for e in local]
    assert [round(r["train_loss"], 6) for r in stored] == [round(e.train_loss, 6) for e in local]


def journaled(shared: Path) -> list[dict[str, Any]]:
    """Every event the Ray tasks have journaled so far (a torn last line skipped)."""
    events = []
    for path in sorted((shared / "journal").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                events.append(json.loads(line)["event"])
    return events


@pytest.mark.slow
def test_end_to_end_gst_run_survives_a_removed_node(cluster: Any, tmp_path: Path) -> None:
    """`gst run smoke --backend ray` (6 epochs, checkpoints every 3) on two 1-CPU nodes; the node of one run is
    removed once its epoch-3 checkpoint is on disk: every run completes, that run resumed from epoch 3 on the
    other node, and its rows equal the same seed trained locally."""
    made, nodes = cluster
    alive = [n for n in nodes if n in made.worker_nodes]
    nodes[:] = alive + [made.add_node(num_cpus=1) for _ in range(2 - len(alive))]
    made.wait_for_nodes()
    db, shared = tmp_path / "gst.duckdb", tmp_path / "shared"
    args = ["--arms", "prune_S", "--set", "base.epochs=6", "--sweep-id", "e2e", "--db", str(db)]
    proc = gst_process(
        *["run", "preset", "smoke", *args, "--backend", "ray", "--address", made.address],
        *["--checkpoint-dir", str(shared), "--checkpoint-every", "3"],
    )
    try:
        wait_for(lambda: any(e["type"] == "EpochEnded" and e["epoch"] == 3 for e in journaled(shared)), 240)
        third = next(e for e in journaled(shared) if e["type"] == "EpochEnded" and e["epoch"] == 3)
        victim = third["run_id"]
        started = next(e for e in journaled(shared) if e["type"] == "RunStarted" and e["run_id"] == victim)
        wait_for(lambda: load(shared / f"{victim}.pt", torch.device("cpu"))["progress"]["epochs_done"] == 3, 30)
        made.remove_node(next(n for n in nodes if n.node_id.startswith(started["worker"].split()[1])))
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    runs = {r["run_id"]: r for r in queries.fetch(db, "SELECT * FROM runs")}
    assert len(runs) == 2 and all(r["status"] == "completed" for r in runs.values())
    assert runs[victim]["attempt"] == 2 and runs[victim]["resumed_from"] == 3
    assert runs[victim]["worker"] != started["worker"]
    stored = queries.epochs(db, [victim])
    assert [r["epoch"] for r in stored] == list(range(1, 7))

    sweep = load_preset("smoke", ("base.epochs=6",))
    job = next(j for j in select_jobs(sweep, "e2e", ["prune_S"], None) if j.run_id == victim)
    local: list[EpochEnded] = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the Ray task trained (--cpus-per-batch 1)
    try:
        execute(job, device="cpu", emit=lambda e: local.append(e) if isinstance(e, EpochEnded) else None)
    finally:
        torch.set_num_threads(threads)
    for row, event in zip(stored, local, strict=True):
        assert row["test_acc"] == pytest.approx(event.test_acc, abs=1e-9)
        assert row["train_loss"] == pytest.approx(event.train_loss, abs=1e-9)
