"""Mask invariants after real optimizer steps: zeros stay zero, get no gradient, survive state_dict."""

from __future__ import annotations

import io

import torch
import torch.nn.functional as F

from gst.engine.models import PrunableModel, build_model
from gst.engine.prune import Pruner
from gst.engine.spec.schedule import LayerEvent
from gst.engine.spec.specs import PruneSpec


def spec(layers: tuple[str, ...], score: str, target: str, bn: str = "mask") -> PruneSpec:
    n = len(layers)
    return PruneSpec(
        layers=layers,
        score=score,
        target=target,
        start_epoch=(0,) * n,
        end_epoch=(0,) * n,
        fraction=(0.5,) * n,
        retrain_period=1,
        bn_on_prune=bn,
    )  # type: ignore[arg-type]


def steps(model: PrunableModel, pruner: Pruner, n: int = 3) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    for _ in range(n):
        x, y = torch.randn(8, 3, 32, 32, generator=gen), torch.randint(0, 10, (8,), generator=gen)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        pruner.mask_gradients()
        for name in pruner.prune.layers if pruner.prune else ():
            dead = pruner.model.mask(name) == 0
            grad = model.layer(name).weight.grad
            assert grad is not None
            if dead.dim() == 1 and pruner.prune and pruner.prune.score != "ebn":
                assert grad[dead].abs().sum() == 0
        opt.step()
        pruner.enforce()


def test_unstructured_fc1_prune_exact_k_and_persistence() -> None:
    torch.manual_seed(0)
    model = build_model("conv4")
    pruner = Pruner(model, spec(("fc1",), "magnitude", "small"), torch.Generator().manual_seed(0))
    w_before = model.fc1.weight.detach().abs().clone()
    report = pruner.apply([LayerEvent(t=0, layer="fc1", k=1000, alive=1_179_648 - 1000)])[0]
    mask = model.mask("fc1")
    assert int((mask == 0).sum()) == 1000 and report.alive_after == 1_179_648 - 1000
    assert w_before[mask == 0].max() <= w_before[mask == 1].min()  # the smallest were pruned
    first = mask.clone()
    steps(model, pruner)
    assert model.fc1.weight[mask == 0].abs().sum() == 0
    pruner.apply([LayerEvent(t=1, layer="fc1", k=500, alive=1_179_648 - 1500)])
    assert int((mask == 0).sum()) == 1500 and bool((mask[first == 0] == 0).all())  # never revived or re-chosen
    assert pruner.params_remaining() == 1_250_858 - 1500


def test_filter_l2_mask_zeroes_conv_and_bn_and_keep_leaves_bn() -> None:
    for bn_mode in ("mask", "keep"):
        torch.manual_seed(0)
        model = build_model("vgg11")
        pruner = Pruner(model, spec(("conv8",), "l2", "large", bn_mode), torch.Generator())
        pruner.apply([LayerEvent(t=0, layer="conv8", k=100, alive=412)])
        dead = model.mask("conv8") == 0
        steps(model, pruner)
        bn = model.batch_norm("conv8")
        assert bn is not None
        assert model.layer("conv8").weight[dead].abs().sum() == 0
        if bn_mode == "mask":
            assert bn.weight[dead].abs().sum() == 0 and bn.bias[dead].abs().sum() == 0
        else:
            assert bn.weight[dead].abs().sum() > 0  # early-paper L2: BN untouched


def test_ebn_masks_bn_only_and_channel_outputs_zero() -> None:
    torch.manual_seed(0)
    model = build_model("vgg11")
    pruner = Pruner(model, spec(("conv5",), "ebn", "small"), torch.Generator())
    conv_before = model.layer("conv5").weight.detach().clone()
    pruner.apply([LayerEvent(t=0, layer="conv5", k=200, alive=312)])
    dead = model.mask("conv5") == 0
    assert torch.equal(model.layer("conv5").weight, conv_before)  # filter disconnected, not zeroed
    steps(model, pruner)
    captured: list[torch.Tensor] = []
    model.features.relu5.register_forward_hook(lambda m, i, o: captured.append(o))
    for mode in (model.train, model.eval):
        mode()
        model(torch.randn(4, 3, 32, 32))
        assert captured[-1][:, dead].abs().sum() == 0


def test_masks_survive_state_dict_round_trip() -> None:
    torch.manual_seed(0)
    model = build_model("conv4")
    pruner = Pruner(model, spec(("fc1",), "magnitude", "random"), torch.Generator().manual_seed(3))
    pruner.apply([LayerEvent(t=0, layer="fc1", k=5000, alive=1_179_648 - 5000)])
    steps(model, pruner)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh = build_model("conv4")
    fresh.load_state_dict(torch.load(buffer))
    restored = Pruner(fresh, pruner.prune, torch.Generator())
    assert torch.equal(fresh.mask("fc1"), model.mask("fc1"))
    assert fresh.fc1.weight[fresh.mask("fc1") == 0].abs().sum() == 0
    assert restored.params_remaining() == pruner.params_remaining()


def test_scores_read_only_alive_units() -> None:
    torch.manual_seed(0)
    model = build_model("vgg11")
    pruner = Pruner(model, spec(("conv8",), "l2", "small"), torch.Generator())
    pruner.apply([LayerEvent(t=0, layer="conv8", k=10, alive=502)])
    # zeroed filters score 0, the smallest possible, yet a second small-target event must pick alive ones
    report = pruner.apply([LayerEvent(t=1, layer="conv8", k=10, alive=492)])[0]
    assert report.score_min > 0 and int((model.mask("conv8") == 0).sum()) == 20
