"""Several runs at once in worker processes: same numbers as one at a time, Ctrl-C interrupts them all."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from gst.engine.bench import throughput as bench
from gst.engine.bench.speed import runs_per_hour
from gst.engine.execution.local import plan_workers
from gst.store import queries
from gst.store.sql import fetch
from gst.tui.entry import app
from tests.conftest import tiny_preset
from tests.processes import Processes

runner = CliRunner()
COLUMNS = "epoch, lr, train_loss, train_acc, test_loss, test_acc, pre_prune_test_acc, params_remaining"


def test_worker_plans() -> None:
    assert plan_workers("cpu", None, (), 6).size == min(6, os.cpu_count() or 1)
    assert plan_workers("cpu", 4, (), 2).size == 2  # never more workers than runs
    gpus = plan_workers("cuda", None, (0, 1), 8)
    assert gpus.devices == ("cuda:0", "cuda:1")
    assert plan_workers("cuda", None, (), 8).size == 1


@pytest.mark.slow
def test_parallel_and_stacked_runs_match_runs_one_at_a_time(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(tiny_preset(epochs=2, epc=16, end=1))
    modes = {
        "parallel": ["--workers", "2"],
        "stacked": ["--workers", "1", "--stack-seeds", "2"],
        "alone": ["--workers", "1"],
    }
    for mode, options in modes.items():
        args = ["run", "spec", str(spec), "--db", str(tmp_path / f"{mode}.duckdb"), "--device", "cpu", "--seeds", "0,1"]
        result = runner.invoke(app, args + options)
        assert result.exit_code == 0, result.stderr
        assert ("2 seeds stacked" in result.stderr) == (mode == "stacked")
    for seed in (0, 1):
        sql = f"SELECT {COLUMNS} FROM epochs WHERE run_id LIKE '%-{seed}' ORDER BY epoch"
        alone = fetch(tmp_path / "alone.duckdb", sql)
        assert fetch(tmp_path / "parallel.duckdb", sql) == alone  # one thread per run wherever it trains: bitwise
        for mode in ("parallel", "stacked"):  # stacked: another summation order, equal up to float rounding
            other = fetch(tmp_path / f"{mode}.duckdb", sql)
            assert len(other) == len(alone) == 2
            for x, y in zip(other, alone, strict=True):
                assert x["params_remaining"] == y["params_remaining"]
                assert x["test_acc"] == pytest.approx(y["test_acc"], abs=1.0)
                assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-3)
        assert {r["status"] for r in queries.runs(tmp_path / f"{mode}.duckdb")} == {"completed"}


def test_stack_seeds_must_be_positive(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(tiny_preset())
    result = runner.invoke(app, ["run", "spec", str(spec), "--db", str(tmp_path / "x.duckdb"), "--stack-seeds", "0"])
    assert result.exit_code == 1 and "--stack-seeds: 0 must be >= 1" in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_interrupts_every_worker(db: Path, tmp_path: Path, procs: Processes, sig: int) -> None:
    spec = tmp_path / "slow.toml"
    spec.write_text(tiny_preset(epochs=40, epc=48, end=5))  # many epochs to go when the signal comes
    proc = procs.gst("run", "spec", str(spec), "--db", str(db), "--device", "cpu", "--seeds", "0,1", "--workers", "2")
    # one read: all() of no runs is true, so counting the runs in a second read let the signal come before training
    proc.wait_for(lambda: len(rows := queries.runs(db)) == 2 and all(r["epochs_done"] >= 1 for r in rows), "epochs")
    proc.send_signal(sig)
    assert proc.wait() == 128 + sig, proc.output()
    runs = queries.runs(db)
    named = "interrupted by SIGTERM" if sig == signal.SIGTERM else "interrupted by Ctrl-C (SIGINT)"
    assert {r["status"] for r in runs} == {"interrupted"} and {r["error"] for r in runs} == {named}
    assert fetch(db, "SELECT count(*) AS n FROM epochs")[0]["n"] == sum(r["epochs_done"] for r in runs)


@pytest.mark.slow
def test_bench_loops_measure_positive_throughput() -> None:
    cpu = torch.device("cpu")
    passes = {
        "gst": bench.gst_loop("conv4", cpu, 16, 2),
        "compute": bench.compute_loop("conv4", cpu, 16, 2),
        "plain": bench.plain_loop("conv4", cpu, 16, 4, workers=2),
        "eval": bench.eval_loop("conv4", cpu),
    }
    best = bench.best_interleaved(passes, 2)
    assert set(best) == set(passes) and all(rate > 0 for rate in best.values())
    assert bench.peak_memory_mb(cpu) > 0
    plan = plan_workers("cpu", 1, (), 1)
    assert runs_per_hour("conv4", "cpu", 16, 40, 2, "stacked", plan) > 0


def test_bench_rejects_bad_options() -> None:
    result = runner.invoke(app, ["bench", "--model", "resnet"])
    assert result.exit_code == 1 and "allowed: conv4, vgg11" in result.stderr
