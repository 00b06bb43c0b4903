"""Several runs at once in worker processes: same numbers as one at a time, Ctrl-C interrupts them all."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from gst.engine import bench
from gst.store import queries
from gst.tui.cli import app
from gst.tui.workers import plan_workers

from ..conftest import gst_process, tiny_preset  # type: ignore[import-not-found]
from .test_processes import wait_for

runner = CliRunner()
COLUMNS = "epoch, lr, train_loss, train_acc, test_loss, test_acc, pre_prune_test_acc, params_remaining"


def test_worker_plans() -> None:
    assert plan_workers("cpu", None, (), 6).size == min(6, os.cpu_count() or 1)
    assert plan_workers("cpu", 4, (), 2).size == 2  # never more workers than runs
    gpus = plan_workers("cuda", None, (0, 1), 8)
    assert gpus.devices == ("cuda:0", "cuda:1")
    assert plan_workers("cuda", None, (), 8).size == 1


def test_parallel_runs_match_runs_one_at_a_time(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(tiny_preset(epochs=3, epc=16, end=2))
    together, alone = tmp_path / "together.duckdb", tmp_path / "alone.duckdb"
    for db, workers in ((together, "2"), (alone, "1")):
        result = runner.invoke(
            app, ["run", "spec", str(spec), "--db", str(db), "--device", "cpu", "--seeds", "0,1", "--workers", workers]
        )
        assert result.exit_code == 0, result.stderr
    for seed in (0, 1):
        sql = f"SELECT {COLUMNS} FROM epochs WHERE run_id LIKE '%-{seed}' ORDER BY epoch"
        a, b = queries.fetch(together, sql), queries.fetch(alone, sql)
        assert len(a) == len(b) == 3
        for x, y in zip(a, b, strict=True):  # 1 thread in a worker vs 2 here: equal up to float reduction order
            assert x["test_acc"] == pytest.approx(y["test_acc"], abs=0.5) and x["train_loss"] == pytest.approx(
                y["train_loss"], rel=1e-3
            )
    assert {r["status"] for r in queries.runs(together)} == {"completed"}


def test_ctrl_c_interrupts_every_worker(db: Path, tmp_path: Path) -> None:
    spec = tmp_path / "slow.toml"
    spec.write_text(tiny_preset(epochs=8, epc=48, end=5))
    proc = gst_process("run", "spec", str(spec), "--db", str(db), "--device", "cpu", "--seeds", "0,1", "--workers", "2")
    wait_for(lambda: all(r["epochs_done"] >= 1 for r in queries.runs(db)) and len(queries.runs(db)) == 2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    runs = queries.runs(db)
    assert {r["status"] for r in runs} == {"interrupted"}
    assert queries.fetch(db, "SELECT count(*) AS n FROM epochs")[0]["n"] == sum(r["epochs_done"] for r in runs)


def test_bench_loops_measure_positive_throughput() -> None:
    cpu = torch.device("cpu")
    for measure in (bench.gst_loop_ips, bench.compute_ips):
        assert measure("conv4", cpu, 16, 2) > 0
    assert bench.plain_loop_ips("conv4", cpu, 16, 4, workers=2) > 0
    assert bench.eval_ips("conv4", cpu) > 0 and bench.peak_memory_mb(cpu) > 0


def test_bench_rejects_bad_options() -> None:
    result = runner.invoke(app, ["bench", "--model", "resnet"])
    assert result.exit_code == 1 and "allowed: conv4, vgg11" in result.stderr
