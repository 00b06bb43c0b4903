"""Noise in place of pruning: method-later.md §5 oracles 1 (window), 2 (batch conversion, exact simulator)
and 3 (no final zeroing), plus checkpoint exactness and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gst.engine.cadence import CheckpointEvery
from gst.engine.checkpoint import Checkpointer
from gst.engine.models import PrunableModel
from gst.engine.noise import NOISE_SEED_OFFSET, NoiseInjector
from gst.engine.spec.architectures import Architecture, LayerInfo
from gst.engine.spec.errors import SpecError
from gst.engine.spec.events import Event, NoiseWindowClosed, Pruned, RunStarted
from gst.engine.spec.job import Job
from gst.engine.spec.noise_kind import label_batches, parse_noise
from gst.engine.spec.specs import RunSpec, spec_from_dict
from gst.engine.train_job import build_trainer, execute


class OneConv(PrunableModel):
    """conv(cin -> 4) -> BN: the oracle's one-layer model."""

    def __init__(self, cin: int = 3) -> None:
        super().__init__()
        info = LayerInfo(name="conv", kind="conv", in_features=cin, out_features=4, kernel=3, has_bn=True)
        self.architecture = Architecture(name="one", summary="", layers=(info,))
        self.conv = nn.Conv2d(cin, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self._register_masks()

    def layer(self, name: str) -> nn.Conv2d | nn.Linear:
        return self.conv

    def batch_norm(self, name: str) -> nn.BatchNorm2d | None:
        return self.bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


def injected(noise: str, cin: int = 3, count: str = "forwards") -> tuple[OneConv, NoiseInjector, list[dict]]:
    """A model with filter 2 selected at an event, and a probe recording what each forward's conv sees."""
    torch.manual_seed(0)
    model = OneConv(cin)
    injector = NoiseInjector(model, ("conv",), parse_noise(noise), count, seed=0)
    seen: list[dict] = []

    def probe(module: nn.Module, _inputs: object) -> None:  # registered after the injector's hook
        seen.append(
            {
                "weight": model.conv.weight.detach()[2].clone(),
                "gamma": model.bn.weight.detach()[2].clone(),
                "beta": model.bn.bias.detach()[2].clone(),
                "mean": model.bn.running_mean[2].clone(),  # type: ignore[index]
                "var": model.bn.running_var[2].clone(),  # type: ignore[index]
            }
        )

    model.conv.register_forward_pre_hook(probe)
    model.mask("conv")[2] = 0
    injector.on_event("conv", 1, torch.tensor([2]))
    return model, injector, seen


def regrow(model: OneConv) -> None:
    """Stand-in for an optimizer step: the filter, gamma and beta move off zero."""
    with torch.no_grad():
        model.conv.weight[2] += 0.5
        model.bn.weight[2] += 0.25
        model.bn.bias[2] += 0.125


def test_iter_zeroing_window_covers_b_plus_one_forwards_train_or_eval() -> None:
    model, injector, seen = injected("iter_3_zeroing")
    x = torch.randn(2, 3, 8, 8)
    for i in range(5):
        model.train(i % 2 == 0)
        regrow(model)
        before = model.conv.weight.detach()[2].clone()
        model(x)
        if i < 4:
            assert torch.equal(seen[-1]["weight"], torch.zeros_like(before))
        else:
            assert torch.equal(seen[-1]["weight"], before)
    (report,) = injector.drain()
    assert (report.train_forwards, report.eval_forwards, report.complete) == (2, 2, True)
    assert model.bn.weight[2] != 0  # iter modes leave BN untouched


def test_cumu_restore_zeroes_b_forwards_then_restores_bitwise() -> None:
    model, injector, seen = injected("cumu_3_zeroing_restore")
    snapshot = {
        "weight": model.conv.weight.detach()[2].clone(),
        "gamma": model.bn.weight.detach()[2].clone(),
        "beta": model.bn.bias.detach()[2].clone(),
        "mean": model.bn.running_mean[2].clone(),  # type: ignore[index]
        "var": model.bn.running_var[2].clone(),  # type: ignore[index]
    }
    model.train()
    x = torch.randn(4, 3, 8, 8) + 1
    for _ in range(4):
        model(x)
        regrow(model)
    for i in range(3):
        assert all(float(seen[i][k]) == 0 for k in ("gamma", "beta")) and not seen[i]["weight"].any()
    assert all(torch.equal(seen[3][k], v) for k, v in snapshot.items())
    assert seen[2]["mean"] != snapshot["mean"]  # train forwards in the window moved the running statistics
    (report,) = injector.drain()
    assert (report.train_forwards, report.eval_forwards) == (3, 0)


@pytest.mark.parametrize("noise", ["iter_0_zeroing", "iter_0_gaussian"])
def test_b_zero_affects_exactly_one_forward(noise: str) -> None:
    model, injector, seen = injected(noise)
    model.eval()
    x = torch.randn(1, 3, 8, 8)
    before = model.conv.weight.detach()[2].clone()
    model(x)
    first = model.conv.weight.detach()[2].clone()
    model(x)
    model(x)
    assert not torch.equal(first, before) and torch.equal(model.conv.weight.detach()[2], first)
    assert [(r.train_forwards, r.eval_forwards) for r in injector.drain()] == [(0, 1)]


def test_gaussian_drift_after_n_forwards_has_std_sqrt_n_sigma() -> None:
    model, _, _ = injected("iter_40_gaussian", cin=64)
    model.eval()
    sigma = float(model.conv.weight.detach()[0].double().std())  # first never-selected filter
    before = model.conv.weight.detach()[2].double().clone()
    for _ in range(16):
        model(torch.randn(1, 64, 4, 4))
    drift = (model.conv.weight.detach()[2].double() - before).std()
    assert float(drift) == pytest.approx(4 * sigma, rel=0.15)


@pytest.mark.parametrize(
    ("b", "t", "label"),
    [(0, 79, 0), (129, 79, 50), (750, 79, 513), (1500, 79, 1105), (3000, 79, 2131)]
    + [(129, 40, 89), (750, 40, 630), (1500, 40, 1220), (3000, 40, 2480)],
)
def test_batch_conversion_matches_the_authors_labels(b: int, t: int, label: int) -> None:
    assert label_batches(b, t) == label


def simulate(noise: str, t: int, count: str = "forwards", epochs: int = 8) -> tuple[int, int]:
    """Drive the injector with the real forward order after an event: post-test, then per epoch 391 train,
    pre-test and post-test passes of T batches each."""
    _, injector, _ = injected(noise, count=count)
    order = [False] * t + ([True] * 391 + [False] * 2 * t) * epochs
    for training in order:
        injector.forward("conv", training)
    (report,) = injector.drain(final=True)
    return report.train_forwards, report.eval_forwards


def test_exact_simulator_gives_the_exact_column() -> None:
    assert simulate("iter_129_zeroing", 79) == (51, 79)
    assert simulate("iter_1500_zeroing", 79) == (1106, 395)
    assert simulate("cumu_129_zeroing_restore", 40) == (89, 40)
    assert simulate("cumu_3000_zeroing_restore", 40) == (2480, 520)
    assert simulate("iter_0_zeroing", 79) == (0, 1)


def test_train_batches_counting_noises_exactly_b_training_batches() -> None:
    assert simulate("iter_50_zeroing", 79, "train_batches") == (50, 79)
    assert simulate("cumu_1000_zeroing_restore", 40, "train_batches") == (1000, 40 + 2 * 2 * 40)
    assert simulate("iter_0_zeroing", 79, "train_batches") == (0, 79)


def noise_spec(noise: str, epochs: int = 3, **extra: object) -> RunSpec:
    raw = {
        "model": "conv4", "dataset": "synthetic", "examples_per_class": 8, "epochs": epochs, "batch_size": 16,
        "prune": {"layers": ["conv4"], "score": "l2", "target": "large", "start_epoch": [0], "end_epoch": [0],
                  "fraction": [0.1], "retrain_period": 1, "noise": noise, **extra},
    }  # fmt: skip
    return spec_from_dict(raw)


def run_to_end(spec: RunSpec) -> tuple[list[Event], torch.Tensor, torch.Tensor, float]:
    """Events, the conv4 weights, its mask, and a fresh evaluation of the final model."""
    trainer = build_trainer(Job(run_id="r", spec=spec, seed=0), torch.device("cpu"), None)
    events: list[Event] = []
    trainer.run(events.append)
    _, acc = trainer.evaluate()
    return events, trainer.model.layer("conv4").weight.detach(), trainer.model.mask("conv4"), acc


@pytest.mark.slow
def test_noise_run_ends_with_regrown_filters_and_no_final_zeroing() -> None:
    events, weight, mask, acc = run_to_end(noise_spec("iter_0_zeroing"))
    targeted = mask == 0
    assert int(targeted.sum()) == 6  # 10% of 64 filters, selected at t = 0
    assert all(weight[i].abs().sum() > 0 for i in torch.nonzero(targeted).squeeze(1))
    pruned = next(e for e in events if isinstance(e, Pruned))
    assert pruned.kind == "iter_0_zeroing"
    assert pruned.layers[0].targeted_total == 6 and pruned.layers[0].removed_total == 0
    last = [e for e in events if type(e).__name__ == "EpochEnded"][-1]
    assert last.test_acc == acc and last.params_remaining == 1_250_858  # every parameter alive
    (window,) = [e for e in events if isinstance(e, NoiseWindowClosed)]
    assert (window.epoch, window.train_forwards, window.eval_forwards) == (1, 0, 1)


@pytest.mark.slow
def test_prune_l_keeps_targets_at_zero_and_bn_untouched() -> None:
    events, weight, mask, _ = run_to_end(noise_spec("Prune_L"))
    assert not weight[mask == 0].any()
    pruned = next(e for e in events if isinstance(e, Pruned))
    assert pruned.kind == "Prune_L" and pruned.layers[0].removed_total == 6
    assert not any(isinstance(e, NoiseWindowClosed) for e in events)


def measured(events: list[Event]) -> list[dict[str, object]]:
    return [
        {k: getattr(e, k) for k in e.__dataclass_fields__ if k != "seconds"}
        for e in events
        if not isinstance(e, RunStarted)
    ]


@pytest.mark.slow
def test_resume_inside_an_open_window_equals_uninterrupted(tmp_path: Path) -> None:
    spec = noise_spec(
        "cumu_30_zeroing_restore", epochs=4
    )  # 5 train + 8 eval forwards per epoch: the window spans epochs
    whole: list[Event] = []
    execute(Job(run_id="r", spec=spec, seed=0), device="cpu", emit=whole.append)
    path, part, rest = tmp_path / "r.pt", [], []
    with pytest.raises(KeyboardInterrupt):
        execute(
            Job(run_id="r", spec=spec, seed=0),
            device="cpu",
            emit=part.append,
            checkpointer=Checkpointer(path, CheckpointEvery()),
            should_stop=lambda: sum(type(e).__name__ == "EpochEnded" for e in part) >= 2,
        )
    execute(
        Job(run_id="r", spec=spec, seed=0),
        device="cpu",
        emit=rest.append,
        checkpointer=Checkpointer(path, CheckpointEvery()),
    )
    assert measured(part + rest) == measured(whole)


@pytest.mark.parametrize("mode", ["first_alive", "all_alive"])
def test_gaussian_sigma_from_the_first_or_all_alive_filters(mode: str) -> None:
    torch.manual_seed(0)
    model = OneConv(cin=1)
    values = (torch.arange(36, dtype=torch.float32) ** 1.5).reshape(4, 1, 3, 3)
    with torch.no_grad():
        model.conv.weight.copy_(values)
    model.mask("conv")[0] = 0  # selected at an earlier event: filters 1 and 3 are the alive ones
    model.mask("conv")[2] = 0
    injector = NoiseInjector(model, ("conv",), parse_noise("iter_0_gaussian"), seed=0, sigma_from=mode)
    injector.on_event("conv", 1, torch.tensor([2]))
    alive = [1] if mode == "first_alive" else [1, 3]
    sigma = float(np.std(values[alive].double().numpy(), ddof=1))
    assert injector._sigma("conv") == pytest.approx(sigma, rel=1e-12)
    draw = torch.randn((1, 1, 3, 3), generator=torch.Generator().manual_seed(NOISE_SEED_OFFSET), dtype=torch.float64)
    model.eval()
    model(torch.randn(1, 1, 4, 4))  # the one noisy forward of iter_0
    delta = model.conv.weight.detach()[2].double() - values[2].double()
    assert torch.allclose(delta, draw[0] * sigma, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("extra", "key", "allowed"),
    [
        ({"noise": "iter_5_gaussian", "noise_sigma": "mean"}, "prune.noise_sigma", "allowed: first_alive, all_alive"),
        ({"noise": "iter_5_zeroing", "noise_sigma": "all_alive"}, "prune.noise_sigma", "only used with prune.noise"),
        ({"noise_sigma": "all_alive"}, "prune.noise_sigma", "only used with prune.noise = iter_{B}_gaussian"),
        ({"noise": "iter_5_blur"}, "prune.noise", "allowed: Prune_L, iter_{B}_zeroing"),
        ({"noise": "iter_-1_zeroing"}, "prune.noise", "must be >= 0"),
        ({"noise": "cumu_5_gaussian"}, "prune.noise", "allowed: Prune_L"),
        ({"noise": "iter_5_zeroing", "noise_count": "epochs"}, "prune.noise_count", "allowed: forwards, train_batches"),
        ({"noise_count": "train_batches"}, "prune.noise_count", "only used with a prune.noise"),
        ({"noise": "iter_5_zeroing", "layers": ["fc1"], "score": "magnitude"}, "prune.layers[0]", "allowed: conv1"),
    ],
)
def test_bad_noise_input_names_key_and_allowed_values(extra: dict[str, object], key: str, allowed: str) -> None:
    raw = {
        "model": "conv4", "dataset": "synthetic", "examples_per_class": 8, "epochs": 3,
        "prune": {"layers": ["conv4"], "score": "l2", "target": "large", "start_epoch": [0], "end_epoch": [0],
                  "fraction": [0.1], "retrain_period": 1, **extra},
    }  # fmt: skip
    with pytest.raises(SpecError) as info:
        spec_from_dict(raw)
    message = str(info.value)
    assert f"{key}:" in message and allowed in message and "\n" not in message


def test_noise_on_an_ebn_score_is_refused() -> None:
    raw = {
        "model": "vgg11", "epochs": 10,
        "prune": {"layers": ["conv5"], "score": "ebn", "target": "large", "start_epoch": [3], "end_epoch": [5],
                  "fraction": [0.3], "retrain_period": 1, "noise": "iter_3_zeroing"},
    }  # fmt: skip
    with pytest.raises(SpecError, match=r"prune.score: 'ebn' cannot select noise targets \(allowed with noise: l2"):
        spec_from_dict(raw)


def test_injector_state_round_trip_continues_identically() -> None:
    model, injector, _ = injected("iter_9_gaussian")
    model.eval()
    x = torch.randn(1, 3, 8, 8)
    for _ in range(3):
        model(x)
    state = injector.state_dict()
    clone = OneConv()
    clone.load_state_dict(model.state_dict())
    clone.eval()
    other = NoiseInjector(clone, ("conv",), parse_noise("iter_9_gaussian"), "forwards", seed=5)
    other.load_state_dict(state)
    for _ in range(4):
        model(x)
        clone(x)
    assert torch.equal(model.conv.weight, clone.conv.weight)
    assert [(r.train_forwards, r.eval_forwards) for r in other.drain(final=True)] == [(0, 7)]


def test_a_stored_spec_of_permanent_pruning_rebuilds() -> None:
    """spec_json carries every field (noise_count included); reading it back must give the same spec."""
    from gst.engine.spec.preset import load_preset
    from gst.engine.spec.specs import spec_from_dict, spec_to_dict

    spec = load_preset("smoke").arm("prune_L").spec
    assert spec_from_dict(spec_to_dict(spec)) == spec
