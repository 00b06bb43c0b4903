"""Launch estimates from what this machine measured: stored epochs split into training and testing, test passes
doubled by pruning, runs at once, start-up; a measurement where nothing is stored; the data check."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Static

from gst.engine.execution.jobs import select_jobs
from gst.engine.execution.local import plan_workers
from gst.engine.spec import datasets
from gst.engine.spec.datasets import check_data
from gst.engine.spec.preset import load_preset
from gst.engine.spec.specs import RunSpec
from gst.tui.app import estimate
from gst.tui.app.estimate import (
    Config,
    Speed,
    duration,
    plan_launch,
    run_seconds,
    stored_overheads,
    stored_speed,
    training_seconds,
)
from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.launch_confirm import LaunchConfirmScreen
from gst.tui.runner.speed_probe import ProbeProcess, SpeedProbe, combined
from tests.tui.app.fake_probe import FakeProbe
from tests.tui.app.test_app import text_of, wait_until
from tests.tui.fabricate import fabricate


def smoke_specs() -> list[RunSpec]:
    return [job.spec for job in select_jobs(load_preset("smoke"), "x", None, None)]


def test_plan_counts_runs_at_once_and_epochs_that_test_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_launch(smoke_specs(), "cpu", None, cores=2)
    assert (plan.runs, plan.epochs, plan.twice, plan.lanes, plan.threads) == (6, 30, 12, 2, 1)
    assert list(plan.examples) == [Config("conv4", 32, False, "fp32")] and plan.data[0].ready
    for cores, runs in ((2, 6), (2, 1), (16, 3)):  # as `gst run` lays out its workers
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        workers = plan_workers("cpu", None, (), runs)
        plan = plan_launch(smoke_specs()[:runs], "cpu", None)
        assert (plan.lanes, plan.threads) == (workers.size, 1)  # one thread per run in every layout
    assert plan_launch(smoke_specs(), "cuda", None).lanes == 1


def test_run_time_counts_test_passes_twice_when_pruning_and_lanes_take_the_next_run() -> None:
    speed = Speed(train_s=0.001, test_s=0.0005, basis="")
    unpruned, pruned = smoke_specs()[0], smoke_specs()[2]
    tests = datasets.test_images("synthetic")  # the test suite's smaller synthetic split
    assert run_seconds(unpruned, speed) == pytest.approx(5 * 640 * 0.001 + 5 * tests * 0.0005)
    assert run_seconds(pruned, speed) == pytest.approx(5 * 640 * 0.001 + (5 + 3) * tests * 0.0005)
    cifar = replace(pruned, dataset="cifar10", examples_per_class=5000)
    assert run_seconds(cifar, speed) == pytest.approx(5 * 50_000 * 0.001 + 8 * 10_000 * 0.0005)
    plan = plan_launch([unpruned] * 3, "cpu", None, cores=2)  # three equal runs, two at a time
    assert training_seconds(plan, {Config.of(unpruned): speed}) == pytest.approx(2 * run_seconds(unpruned, speed))
    assert training_seconds(plan, {}) is None  # waiting for a measurement


def test_stored_epochs_give_back_what_they_measured(db: Path) -> None:
    fabricate(db, "smoke", seeds=1)  # 0.1 s per epoch, conv4, batch 32, 64 images per class, on cpu
    specs = smoke_specs()
    config = Config.of(specs[0])
    speed = stored_speed(db, config, "cpu")
    assert speed is not None and "median of 15 stored epochs on this machine" in speed.basis
    assert run_seconds(specs[0], speed) == pytest.approx(0.5, rel=0.25)  # 5 epochs, split by the bench's ratio
    assert stored_speed(db, Config("conv4", 64, False, "fp32"), "cpu") is None  # another batch size: not this one
    assert stored_speed(db, config, "cuda") is None
    assert stored_overheads(db, "cpu") is not None


def test_duration_is_rounded_with_seconds_under_ten_minutes() -> None:
    assert duration(4000) == "1 h 07 min" and duration(228) == "3 min 48 s" and duration(90) == "1 min 30 s"
    assert duration(7) == "7 s" and duration(779) == "13 min" and duration(2950.8 * 3600) == "122 d 23 h"


def test_data_check_says_whether_cifar_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_data("synthetic").ready
    missing = check_data("cifar10", tmp_path)  # GST_OFFLINE=1 in every test
    assert not missing.ready and missing.will_fail and str(tmp_path) in missing.text
    monkeypatch.delenv("GST_OFFLINE")
    online = check_data("cifar10", tmp_path)
    assert not online.ready and not online.will_fail and "downloads it" in online.text
    (tmp_path / "cifar10.npz").write_bytes(b"")
    assert check_data("cifar10", tmp_path).ready


async def test_confirmation_measures_what_is_not_stored_and_warns_of_missing_data(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(estimate.os, "cpu_count", lambda: 2)  # FakeProbe stands in for the measurement (conftest)
    app = GstApp(db, data_dir=db.parent / "nodata")
    async with app.run_test(size=(100, 40)) as pilot:
        app.screen.query_one("#device").value = "cpu"  # type: ignore[attr-defined]
        app.screen.query_one("#seeds").value = "0"  # type: ignore[attr-defined]
        await pilot.press("l")  # fig1: VGG11 on CIFAR-10, which is not there
        await pilot.pause()
        assert isinstance(app.screen, LaunchConfirmScreen)
        body = lambda: text_of(app.screen.query_one("#confirm-body Static", Static))  # noqa: E731
        await wait_until(pilot, lambda: "estimated wall time" in body() and "measuring" not in body(), 30)
        text = body()
        assert "4 runs, 1,300 epochs in all" in text and "2 run(s) at once" in text
        assert "✗ data cifar10: not in" in text and "the launch will fail" in text
        assert "measured now (2 runs side by side" in text and "1,000 train / 2,000 test img/s" in text
        # fig1 per run: 325 epochs of 50,000 images and 325 + pruning-epoch test passes of 10,000, 2 at a time
        assert len(FakeProbe.made) == 2  # one per run at once
        await pilot.press("n")
        await pilot.pause()
        assert all(p.stopped for p in FakeProbe.made)


def test_probes_side_by_side_combine_into_one_speed() -> None:
    a = SpeedProbe(train_s_per_image=0.001, test_s_per_image=0.0004, start_s=8.0, import_s=2.0, threads=1)
    b = SpeedProbe(train_s_per_image=0.003, test_s_per_image=0.0006, start_s=9.0, import_s=1.0, threads=1)
    both = combined([a, b])
    assert both.train_s_per_image == pytest.approx(0.002) and both.start_s == 9.0 and both.side_by_side == 2


@pytest.mark.slow
def test_the_probe_process_measures_this_machine() -> None:
    spec = smoke_specs()[2]
    probe = ProbeProcess(spec, "cpu", 1).result(timeout=240)
    assert 0 < probe.train_s_per_image < 0.1 and 0 < probe.test_s_per_image < 0.1
    assert probe.start_s > probe.import_s > 0 and probe.threads == 1
