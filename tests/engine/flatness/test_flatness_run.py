"""Flatness inside a run: the spec section's validation, the event, masked coordinates, the bitwise round trip."""

from __future__ import annotations

import math

import pytest
import torch

from gst.engine.flatness.hvp import FlatLoss, alive_vector
from gst.engine.flatness.measure import flatness_images, measure
from gst.engine.flatness.perturb import evaluate_one
from gst.engine.spec.errors import SpecError
from gst.engine.spec.events import Event, FlatnessMeasured, event_from_dict, event_to_dict
from gst.engine.spec.job import Job
from gst.engine.spec.schedule import LayerEvent
from gst.engine.spec.specs import FlatnessSpec, RunSpec, spec_from_dict
from gst.engine.train import Trainer
from gst.engine.train_job import build_trainer, execute

FLAT = {"epochs": [2], "k": 2, "count": 16, "eps": [-0.1, 0.0, 0.1], "vectors": 2, "hutchinson": 1, "steps": 6}


def raw_spec(**flatness: object) -> dict[str, object]:
    """A 2-epoch Conv4 run on synthetic data that prunes fc1 at index 1, with a flatness table."""
    return {
        "model": "conv4", "dataset": "synthetic", "examples_per_class": 4, "epochs": 2, "batch_size": 20,
        "prune": {"layers": ["fc1"], "score": "magnitude", "target": "small", "start_epoch": [0], "end_epoch": [1],
                  "fraction": [0.5], "retrain_period": 1},
        "flatness": {**FLAT, **flatness},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("k", 0, "flatness.k: 0 is not a number of eigenpairs of conv4 (allowed: 1..1250858)"),
        ("k", 2_000_000, "flatness.k: 2000000 is not a number of eigenpairs of conv4 (allowed: 1..1250858)"),
        ("epochs", [3], "flatness.epochs[0]: 3 is outside the run (allowed: 1..2)"),
        ("epochs", [0], "flatness.epochs[0]: 0 is outside the run (allowed: 1..2)"),
        ("method", "arnoldi", "flatness.method: 'arnoldi' is not allowed (allowed: lanczos, power_parity)"),
        ("split", "val", "flatness.split: 'val' is not allowed (allowed: test, train)"),
        ("eps_scan", "half", "flatness.eps_scan: 'half' is not allowed (allowed: until_star, full)"),
        ("eps", [], "flatness.eps: the ε grid is empty"),
        (
            "count",
            5000,
            "flatness.count: 5000 images (allowed: 1..200, the synthetic test split)",
        ),  # tests: 20 per class
        ("vectors", 4, "flatness.vectors: 4 directions but only k = 2 eigenvectors (allowed: 0..2)"),
        ("colour", 1, "flatness.colour: unknown key (allowed: epochs, k, split"),
    ],
)
def test_bad_flatness_is_one_line_naming_the_key(key: str, value: object, message: str) -> None:
    with pytest.raises(SpecError) as info:
        spec_from_dict(raw_spec(**{key: value}), "p.toml")
    text = str(info.value)
    assert text.startswith("p.toml: " + message) and "\n" not in text


def test_flatness_defaults_are_the_parity_recipe_but_lanczos() -> None:
    spec = spec_from_dict({"epochs": 315, "model": "vgg11", "flatness": {"epochs": [315]}}).flatness
    assert spec == FlatnessSpec(epochs=(315,))
    assert (spec.k, spec.split, spec.count, spec.method, spec.vectors) == (100, "test", 512, "lanczos", 10)
    assert len(spec.eps) == 81 and spec.eps[0] == -0.4 and spec.eps[-1] == 0.4


@pytest.mark.slow
def test_run_emits_flatness_before_the_epochs_pruning_and_trains_as_without() -> None:
    with_flat: list[Event] = []
    spec = spec_from_dict(raw_spec())
    execute(Job(run_id="r", spec=spec, seed=0), device="cpu", emit=with_flat.append)
    names = [type(e).__name__ for e in with_flat]
    assert names == ["RunStarted", "Pruned", "EpochEnded", "FlatnessMeasured", "Pruned", "EpochEnded", "RunFinished"]
    record = with_flat[3]
    assert isinstance(record, FlatnessMeasured) and record.epoch == 2
    assert len(record.eigenvalues) == 2 and list(record.eigenvalues) == sorted(record.eigenvalues, reverse=True)
    assert record.hvps == 6 + 2 and record.steps == (6, 6) and len(record.residuals) == 2
    assert len(record.perturb_loss) == 2 and len(record.perturb_loss[0]) == 3
    assert record.perturb_loss[0][1] == record.perturb_loss[1][1] == record.test_loss
    assert record.tic == pytest.approx(record.grad_sq_trace / record.eig_sum)
    assert record.grad_cov_trace_centered <= record.grad_sq_trace
    assert event_from_dict(event_to_dict(record)) == record
    without: list[Event] = []
    plain = RunSpec(**{**{f: getattr(spec, f) for f in spec.__dataclass_fields__}, "flatness": None})
    execute(Job(run_id="r", spec=plain, seed=0), device="cpu", emit=without.append)
    last = [e for e in with_flat if type(e).__name__ == "EpochEnded"][-1]
    assert last.test_acc == [e for e in without if type(e).__name__ == "EpochEnded"][-1].test_acc


def small_trainer(spec: RunSpec) -> Trainer:
    """A trainer whose test set is cut to 64 images, so each perturbation pass is cheap."""
    trainer = build_trainer(Job(run_id="r", spec=spec, seed=0), torch.device("cpu"), None)
    trainer.data.x_test, trainer.data.y_test = trainer.data.x_test[:64], trainer.data.y_test[:64]
    return trainer


def test_measurement_leaves_the_model_bitwise_and_zeroes_masked_coordinates() -> None:
    spec = spec_from_dict(raw_spec(split="train", count=8, k=1, steps=2, vectors=1, hutchinson=0))
    trainer = small_trainer(spec)
    trainer.pruner.apply([LayerEvent(t=0, layer="fc1", k=1000, alive=2304 * 512 - 1000)])
    trainer.model.train()
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    assert spec.flatness is not None
    record = measure("r", 1, trainer.model, trainer.pruner.governed(), trainer.data, spec.flatness, 32)
    after = trainer.model.state_dict()
    assert trainer.model.training
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    alive = alive_vector(trainer.model, trainer.pruner.governed())
    assert int((alive == 0).sum()) == 1000
    x, y = flatness_images(trainer.data, spec.flatness)
    f = FlatLoss(trainer.model.eval(), x, y, alive)
    hv = f.hvp(torch.randn(1, f.size))
    assert bool((hv[:, alive == 0] == 0).all())
    reference = evaluate_one(f, f.theta, lambda: trainer.data.test_batches(32))
    assert record.test_loss == reference[0] and record.test_acc == reference[1]
    assert [row[1] for row in record.perturb_loss] == [record.test_loss]  # the ε = 0 column
    assert math.isnan(record.hutchinson_trace)
    assert math.isfinite(record.eig_sum) and record.count == 8 and record.split == "train"


def test_flatness_section_survives_the_preset_writer() -> None:
    import tomllib

    from gst.engine.spec.preset_writer import preset_toml

    spec = spec_from_dict(raw_spec(method="power_parity", eps=[-0.05, 0.0, 0.05]))
    text = preset_toml(spec, seeds=(0,), title="t")
    assert spec_from_dict(tomllib.loads(text)["base"]) == spec
