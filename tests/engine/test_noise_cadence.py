"""A short noise run records exactly the windows `gst plan` predicts, under either pre-prune test cadence; the
authors' cadence tests twice at every epoch where a window is open; a flatness measurement's forwards are not
counted."""

from __future__ import annotations

import pytest
import torch

from gst.engine.noise import NoiseInjector
from gst.engine.spec.events import Event, NoiseWindowClosed
from gst.engine.spec.job import Job
from gst.engine.spec.noise_kind import parse_noise
from gst.engine.spec.noise_plan import PlannedWindow, forward_counts, planned_windows
from gst.engine.spec.specs import RunSpec, spec_from_dict
from gst.engine.train import Trainer
from gst.engine.train_job import execute
from tests.engine.test_noise import OneConv


def two_layer_spec(noise: str, cadence: str) -> RunSpec:
    """Conv4 on 40 synthetic images (5 training forwards an epoch) and 20 test images (2 eval forwards a pass),
    events at indices 0 and 3 in conv3 and 1 in conv4, so that windows cross epochs 2 and 4, which have none."""
    raw = {
        "model": "conv4", "dataset": "synthetic", "examples_per_class": 4, "epochs": 5, "batch_size": 8,
        "test_batch_size": 10, "test_per_class": 2, "pre_prune_test": cadence,
        "prune": {"layers": ["conv3", "conv4"], "score": "l2", "target": "large", "start_epoch": [0, 1],
                  "end_epoch": [3, 1], "fraction": [0.2, 0.1], "retrain_period": 3, "noise": noise},
    }  # fmt: skip
    return spec_from_dict(raw)


def recorded(spec: RunSpec, monkeypatch: pytest.MonkeyPatch) -> tuple[list[PlannedWindow], list[int]]:
    """The windows a run records, in plan order, and its test passes per epoch."""
    passes: list[int] = [0] * spec.epochs
    evaluate = Trainer.evaluate

    def counted(self: Trainer) -> tuple[float, float]:
        passes[self.progress.epochs_done] += 1
        return evaluate(self)

    monkeypatch.setattr(Trainer, "evaluate", counted)
    events: list[Event] = []
    execute(Job(run_id="r", spec=spec, seed=0), device="cpu", emit=events.append)
    windows = [
        PlannedWindow(e.epoch, e.layer, e.train_forwards, e.eval_forwards, e.complete)
        for e in events
        if isinstance(e, NoiseWindowClosed)
    ]
    order = {"conv3": 0, "conv4": 1}
    return sorted(windows, key=lambda w: (w.epoch, order[w.layer])), passes


EXPECTED = {  # (noise, cadence) -> windows (train, eval) and test passes per epoch
    ("cumu_20_zeroing_restore", "every_epoch"): ([(10, 10), (10, 10), (5, 6)], [2, 2, 2, 2, 2]),
    ("cumu_20_zeroing_restore", "pruning_epochs"): ([(12, 8), (12, 8), (5, 4)], [2, 2, 1, 2, 1]),
    ("iter_9_gaussian", "every_epoch"): ([(5, 5), (5, 5), (5, 5)], [2, 2, 2, 2, 2]),
    ("iter_9_gaussian", "pruning_epochs"): ([(5, 5), (6, 4), (5, 4)], [2, 2, 1, 2, 1]),
}


@pytest.mark.parametrize(
    ("noise", "cadence"),
    [pytest.param(*key, marks=[] if key[1] == "every_epoch" and key[0].startswith("cumu") else [pytest.mark.slow])
     for key in EXPECTED],
)  # fmt: skip
def test_a_short_run_records_the_windows_the_plan_shows(
    noise: str, cadence: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = two_layer_spec(noise, cadence)
    assert forward_counts(spec) == (5, 2)
    planned = planned_windows(spec)
    windows, passes = recorded(spec, monkeypatch)
    assert windows == planned
    assert ([(w.train_forwards, w.eval_forwards) for w in windows], passes) == EXPECTED[(noise, cadence)]


def test_forwards_while_paused_neither_count_nor_noise() -> None:
    torch.manual_seed(0)
    model = OneConv()
    injector = NoiseInjector(model, ("conv",), parse_noise("iter_3_zeroing"), seed=0)
    model.mask("conv")[2] = 0
    injector.on_event("conv", 1, torch.tensor([2]))
    with torch.no_grad():
        model.conv.weight[2] += 1.0
    with injector.paused():
        model(torch.randn(1, 3, 8, 8))
    assert model.conv.weight[2].abs().sum() > 0 and injector.windows["conv"].count.forwards == 0
