"""Lanczos at any k (method-later §2.3): against a dense float64 Hessian up to and past the alive count, the float32
restart at an invariant subspace, the marking of pairs whose residual says they are not eigenpairs, and the spec's
refusal of k above the alive parameters (their count checked against the pruner's own masks)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gst.engine.flatness.eigen import RESIDUAL_BOUND, lanczos, residuals, unresolved
from gst.engine.flatness.hvp import FlatLoss, alive_vector
from gst.engine.models import build_model
from gst.engine.prune import Pruner
from gst.engine.spec.architectures import ARCHITECTURES
from gst.engine.spec.errors import SpecError
from gst.engine.spec.plan import alive_coordinates
from gst.engine.spec.schedule import schedule
from gst.engine.spec.specs import spec_from_dict
from tests.engine.flatness.test_flatness_math import known_matrix


class TinyCnn(nn.Module):
    """conv1 (3 -> 2, 3x3) + BN + ReLU + 2x2 max-pool + fc1 (32 -> 4): 192 parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn, self.fc1 = nn.Conv2d(3, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = nn.functional.max_pool2d(torch.relu(self.bn(self.conv1(x))), 2)
        return self.fc1(torch.flatten(h, 1))


def tiny_problem(dtype: torch.dtype) -> tuple[FlatLoss, torch.Tensor]:
    """The CNN with conv1's second filter (weights, γ, β) and 20 fc1 weights pruned: 143 of 192 alive."""
    torch.manual_seed(0)
    model = TinyCnn()
    model.bn.running_mean.uniform_(-0.5, 0.5)  # type: ignore[union-attr]  # BatchNorm2d keeps them
    model.bn.running_var.uniform_(0.5, 2.0)  # type: ignore[union-attr]  # BatchNorm2d keeps them
    model = model.to(dtype).eval()
    parts = []
    for name, param in model.named_parameters():
        keep = torch.ones_like(param)
        if name in ("conv1.weight", "bn.weight", "bn.bias"):
            keep[1] = 0
        if name == "fc1.weight":
            keep.view(-1)[torch.randperm(128, generator=torch.Generator().manual_seed(1))[:20]] = 0
        with torch.no_grad():
            param.mul_(keep)
        parts.append(keep.reshape(-1))
    alive = torch.cat(parts)
    x = torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(2)).to(dtype)
    y = torch.randint(0, 4, (16,), generator=torch.Generator().manual_seed(3))
    return FlatLoss(model, x, y, alive, chunk=16), alive


@pytest.fixture(scope="module")
def exact() -> torch.Tensor:
    """Eigenvalues of the float64 dense Hessian restricted to the alive coordinates."""
    f, alive = tiny_problem(torch.float64)
    dense = torch.autograd.functional.hessian(lambda t: f.loss(t, f.x, f.y), f.theta)
    keep = alive.bool()
    return torch.linalg.eigvalsh(dense[keep][:, keep])


@pytest.mark.parametrize(
    "below", [20, pytest.param(3, marks=pytest.mark.slow), 0, pytest.param(-5, marks=pytest.mark.slow)]
)
def test_lanczos_matches_the_dense_hessian_up_to_and_past_the_alive_count(exact: torch.Tensor, below: int) -> None:
    f, alive = tiny_problem(torch.float32)
    assert (f.size, int(alive.sum())) == (192, 143)
    k = 143 - below
    gen = torch.Generator().manual_seed(0)
    pairs = lanczos(f.operator(), f.size, k, tol=1e-3, generator=gen, mask=alive, dtype=torch.float32, explicit=10)
    want = exact[torch.argsort(exact.abs(), descending=True)[: min(k, 143)]].sort(descending=True).values
    assert len(pairs.values) == min(k, 143) and pairs.steps[0] <= 143  # the basis never outgrows the alive space
    assert float(pairs.values.max()) <= float(exact.max()) + 1e-5  # no ghost above the true maximum
    assert torch.allclose(pairs.values, want, atol=1e-5, rtol=0)
    # the stored residuals (10 true, the rest Lanczos's floored estimates) mark exactly the pairs whose true
    # residual says they are not resolved: here the Hessian's zero eigenvalues, at float32 rounding
    true = residuals(f.operator(), pairs.values, pairs.vectors)
    assert torch.equal(pairs.residuals > RESIDUAL_BOUND, true > RESIDUAL_BOUND)
    assert unresolved(pairs.residuals) == int((want.abs() < 1e-6).sum()) > 0
    assert unresolved(pairs.residuals[pairs.values.abs() > 1e-3]) == 0


def test_float32_lanczos_restarts_at_an_invariant_subspace() -> None:
    # a 30-fold eigenvalue: the Krylov space closes after a few steps; without a float32 restart threshold the
    # rounding left in the next vector was normalised into the basis and made ghosts of size 742
    a = known_matrix([3.0] * 30 + [1e-3 * j for j in range(1, 31)]).float()
    pairs = lanczos(lambda v: v @ a, 60, 40, dtype=torch.float32, generator=torch.Generator().manual_seed(0))
    want = torch.tensor([3.0] * 30 + [1e-3 * j for j in range(30, 20, -1)], dtype=torch.float64)
    assert torch.allclose(pairs.values, want, atol=1e-5, rtol=0)


RAW = {"model": "vgg11", "dataset": "synthetic", "examples_per_class": 4, "epochs": 6}


@pytest.mark.parametrize(("prune", "label"), [
    ({"layers": ["conv5", "conv8"], "score": "l2", "target": "small"}, "l2, BN masked"),
    ({"layers": ["conv5", "conv8"], "score": "l2", "target": "small", "bn_on_prune": "keep"}, "l2, BN kept"),
    ({"layers": ["conv5", "conv8"], "score": "ebn", "target": "small"}, "E[BN]: BN only"),
    ({"layers": ["conv5", "conv8"], "score": "l2", "target": "large", "noise": "Prune_L"}, "Prune_L: conv only"),
    ({"layers": ["conv5", "conv8"], "score": "l2", "target": "large", "noise": "iter_3_zeroing"}, "noise: none"),
    ({"layers": ["fc1", "conv2"], "score": "magnitude", "target": "small"}, "conv4 weights"),
])  # fmt: skip
def test_alive_count_of_the_spec_equals_the_pruners_masks(prune: dict[str, object], label: str) -> None:
    model_name = "conv4" if label == "conv4 weights" else "vgg11"
    layers = prune["layers"] if model_name == "vgg11" else ["fc1"]
    raw = {**RAW, "model": model_name, "prune": {**prune, "layers": layers, "start_epoch": [1] * len(layers),
           "end_epoch": [4] * len(layers), "fraction": [0.5] * len(layers), "retrain_period": 2}}  # fmt: skip
    spec = spec_from_dict(raw)
    torch.manual_seed(0)
    model = build_model(spec.model)
    pruner = Pruner(model, spec.prune, torch.Generator().manual_seed(0))
    for t, events in schedule(spec).items():  # events at indices 1 and 3; measure at epochs 2, 4 and 6
        assert int(alive_vector(model, pruner.governed()).sum()) == alive_coordinates(
            ARCHITECTURES[spec.model], spec.prune, t + 1
        )
        pruner.apply(events)
    assert int(alive_vector(model, pruner.governed()).sum()) == alive_coordinates(
        ARCHITECTURES[spec.model], spec.prune, spec.epochs
    )


def test_k_above_the_alive_parameters_is_one_line_naming_the_count() -> None:
    raw = {"model": "conv4", "dataset": "synthetic", "examples_per_class": 4, "epochs": 3,
           "prune": {"layers": ["fc1"], "score": "magnitude", "target": "small", "start_epoch": [0], "end_epoch": [0],
                     "fraction": [0.5], "retrain_period": 1},
           "flatness": {"epochs": [1, 3], "k": 1_000_000, "vectors": 2, "count": 16}}  # fmt: skip
    alive = ARCHITECTURES["conv4"].params - ARCHITECTURES["conv4"].layer("fc1").units // 2
    with pytest.raises(SpecError) as info:
        spec_from_dict(raw, "p.toml")
    assert str(info.value) == (
        f"p.toml: flatness.k: 1000000 is more than the {alive} alive parameters at epoch 3 (allowed: 1..{alive})"
    )
    raw["flatness"]["k"] = alive  # type: ignore[index]
    assert spec_from_dict(raw).flatness.k == alive  # type: ignore[union-attr]
