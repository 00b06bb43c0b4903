"""The ε scan's folded forward (BN folded into convs, channels-last) equals the functional one, or is not used."""

from __future__ import annotations

import torch
from torch import nn

from gst.engine.flatness.folded import FoldedForward
from gst.engine.flatness.hvp import FlatLoss
from gst.engine.flatness.perturb import evaluate_one
from gst.engine.models import build_model


def trained_like(name: str) -> nn.Module:
    """A model in eval mode whose BN layers have non-trivial statistics and affine parameters."""
    torch.manual_seed(0)
    model = build_model(name).eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model


def problem(model: nn.Module) -> tuple[FlatLoss, list[tuple[torch.Tensor, torch.Tensor]]]:
    x, y = torch.randn(96, 3, 32, 32), torch.randint(0, 10, (96,))
    size = sum(p.numel() for p in model.parameters())
    return FlatLoss(model, x[:32], y[:32], torch.ones(size)), [(x[i : i + 48], y[i : i + 48]) for i in (0, 48)]


def test_folded_vgg_equals_the_functional_forward_and_leaves_the_model_alone() -> None:
    model = trained_like("vgg11")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    f, batches = problem(model)
    folded = FoldedForward.checked(f, batches[0][0])
    assert folded is not None
    theta = f.theta + 0.02 * torch.randn(f.size, generator=torch.Generator().manual_seed(1))
    loss, acc = folded.evaluate(theta, batches)
    want_loss, want_acc = evaluate_one(f, theta, lambda: batches)
    assert abs(loss - want_loss) < 1e-5 and acc == want_acc
    assert loss != evaluate_one(f, f.theta, lambda: batches)[0]  # the perturbation was applied
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_hooked_or_untraceable_models_keep_the_functional_forward() -> None:
    model = trained_like("conv4")
    f, batches = problem(model)
    assert FoldedForward.checked(f, batches[0][0]) is not None
    handle = model.layer("fc1").register_forward_pre_hook(lambda module, args: None)  # e.g. a noise window
    assert FoldedForward.checked(f, batches[0][0]) is None
    handle.remove()

    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3 * 32 * 32, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.fc(x.flatten(1))
            return out if out.sum() > 0 else -out  # data-dependent: fx cannot trace it

    g, _ = problem(Branchy().eval())
    assert FoldedForward.checked(g, batches[0][0]) is None
