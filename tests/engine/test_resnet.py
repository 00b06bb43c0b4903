"""ResNets (method-later.md §3, §5 oracles 10 and 11), their scores and bad input."""

from __future__ import annotations

import pytest
import torch

from gst.engine.models import build_model, count_params
from gst.engine.prune import Pruner
from gst.engine.resnet import BasicBlock, OptionA, ResNet
from gst.engine.scores import expected_bn_relu, expected_bn_relu_signed, filter_l1
from gst.engine.spec.architectures import ARCHITECTURES
from gst.engine.spec.errors import SpecError
from gst.engine.spec.schedule import LayerEvent
from gst.engine.spec.specs import spec_from_dict, spec_hash


@pytest.mark.parametrize(("name", "params"), [("resnet18", 11_173_962), ("resnet20", 269_722), ("resnet56", 853_018)])
def test_parameter_counts(name: str, params: int) -> None:
    assert ARCHITECTURES[name].params == params
    torch.manual_seed(0)
    assert count_params(build_model(name)) == params


def test_resnet18_prunable_names_and_shapes() -> None:
    arch = ARCHITECTURES["resnet18"]
    names = arch.layer_names
    assert len(names) == 16 and names[0] == "layer1.0.conv1" and names[-1] == "layer4.1.conv2"
    last4 = [arch.layer(n) for n in names[-4:]]
    assert [n.name for n in last4] == ["layer4.0.conv1", "layer4.0.conv2", "layer4.1.conv1", "layer4.1.conv2"]
    assert (last4[0].in_features, last4[0].out_features) == (256, 512)
    assert all((x.in_features, x.out_features) == (512, 512) for x in last4[1:])
    assert sum(x.in_features * x.out_features * 9 for x in last4) == 8_257_536
    assert (arch.layer("layer2.0.conv1").in_features, arch.layer("layer2.0.conv1").out_features) == (64, 128)
    assert [arch.layer(n).out_features for n in names] == [64] * 4 + [128] * 4 + [256] * 4 + [512] * 4


@pytest.mark.parametrize(
    ("name", "m", "last"), [("resnet20", 18, "layer3.2.conv2"), ("resnet56", 54, "layer3.8.conv2")]
)
def test_resnet20_56_list_every_block_conv(name: str, m: int, last: str) -> None:
    arch = ARCHITECTURES[name]
    assert len(arch.layer_names) == m and arch.layer_names[0] == "layer1.0.conv1" and arch.layer_names[-1] == last
    first, final = arch.layer("layer1.0.conv1"), arch.layer(last)
    assert (first.in_features, first.out_features, final.in_features, final.out_features) == (16, 16, 64, 64)
    model = build_model(name)
    assert all(model.layer(n).weight.shape[0] == arch.layer(n).out_features for n in arch.layer_names)


def test_option_a_shortcut_pads_quarter_planes_each_side() -> None:
    out = OptionA(32)(torch.randn(1, 16, 8, 8))
    assert out.shape == (1, 32, 4, 4)
    assert not out[:, :8].any() and not out[:, 24:].any() and out[:, 8:24].abs().sum() > 0


def pruned_resnet18(layer: str, channel: int, shortcut: str = "block") -> ResNet:
    torch.manual_seed(0)
    model = build_model("resnet18")
    assert isinstance(model, ResNet)
    prune = spec_from_dict(
        {"model": "resnet18", "epochs": 2, "prune": {"layers": [layer], "score": "l2", "target": "small",
         "start_epoch": [0], "end_epoch": [0], "fraction": [0.01], "retrain_period": 1, "shortcut": shortcut}}
    ).prune  # fmt: skip
    pruner = Pruner(model, prune, torch.Generator().manual_seed(0))
    model.mask(layer)[channel] = 0
    pruner.refresh()
    return model


@pytest.mark.parametrize("train", [True, False])
def test_pruned_conv2_channel_blocks_the_shortcut(train: bool) -> None:
    model = pruned_resnet18("layer4.1.conv2", 7)
    block = model.get_submodule("layer4.1")
    model.train(train)
    out = block(torch.randn(4, 512, 4, 4) * 3)
    assert not out[:, 7].any() and out[:, 6].abs().sum() > 0


@pytest.mark.parametrize("train", [True, False])
def test_shortcut_keep_passes_the_identity_shortcut_in_a_pruned_conv2_channel(train: bool) -> None:
    model = pruned_resnet18("layer4.1.conv2", 7, shortcut="keep")
    block = model.get_submodule("layer4.1")
    model.train(train)
    x = torch.randn(4, 512, 4, 4) * 3
    out = block(x)
    assert torch.equal(out[:, 7], torch.relu(x[:, 7]))  # conv path exactly 0, identity shortcut kept
    assert (out[:, 7] > 0).any()


def test_shortcut_keep_shows_in_the_label_and_hash() -> None:
    raw = {"model": "resnet20", "epochs": 2, "prune": {"layers": ["layer3.2.conv2"], "score": "l1", "target": "small",
           "start_epoch": [0], "end_epoch": [0], "fraction": [0.1], "retrain_period": 1}}  # fmt: skip
    block = spec_from_dict(raw)
    keep = spec_from_dict({**raw, "prune": {**raw["prune"], "shortcut": "keep"}})
    assert (block.label, keep.label) == ("l1-S r=1", "l1-S r=1 shortcut=keep")
    assert spec_hash(block) != spec_hash(keep)


@pytest.mark.parametrize(
    ("model", "value", "message"),
    [
        ("resnet18", "open", "prune.shortcut: 'open' is not allowed (allowed: block, keep)"),
        (
            "vgg11",
            "keep",
            "prune.shortcut: 'keep' applies to ResNet block shortcuts; vgg11 has none (allowed: \"block\")",
        ),
    ],
)
def test_bad_shortcut_is_one_line_naming_the_key(model: str, value: str, message: str) -> None:
    layer = "layer4.1.conv2" if model == "resnet18" else "conv8"
    with pytest.raises(SpecError) as info:
        spec_from_dict(
            {"model": model, "epochs": 2, "prune": {"layers": [layer], "score": "l2", "target": "small",
             "start_epoch": [0], "end_epoch": [0], "fraction": [0.1], "retrain_period": 1, "shortcut": value}}
        )  # fmt: skip
    assert str(info.value) == f"spec: {message}"


@pytest.mark.parametrize("train", [True, False])
def test_pruned_conv1_channel_is_only_internal(train: bool) -> None:
    model = pruned_resnet18("layer4.1.conv1", 7)
    block = model.get_submodule("layer4.1")
    assert isinstance(block, BasicBlock)
    model.train(train)
    x = torch.randn(4, 512, 4, 4) * 3
    assert not block.bn1(block.conv1(x))[:, 7].any()
    assert block(x)[:, 7].abs().sum() > 0


def test_resnet20_init_is_kaiming_normal_fan_in() -> None:
    torch.manual_seed(0)
    model = build_model("resnet56")
    weight = model.layer("layer3.8.conv2").weight.detach()  # fan_in 576: std sqrt(2 / 576)
    assert float(weight.std()) == pytest.approx((2 / 576) ** 0.5, rel=0.02)
    torch.manual_seed(0)
    r18 = build_model("resnet18")
    assert (
        float(r18.layer("layer4.1.conv2").weight.detach().abs().max()) <= 1 / 4608**0.5
    )  # PyTorch default U(+-1/sqrt(fan_in))


def test_activations_ema_updates_every_tenth_training_forward() -> None:
    block = BasicBlock(4, 4, 1, conv_shortcut=False)
    block.track_activations = True
    x = torch.randn(2, 4, 5, 5)
    block.train()
    with torch.no_grad():
        h = block.bn1(block.conv1(x))
    a = h.abs().sum(dim=(0, 2, 3))
    for _ in range(30):  # BN in train mode with the same batch: the same activation sum every time
        block(x)
    block.eval()
    for _ in range(7):
        block(x)  # eval forwards never change the score
    assert torch.allclose(block.act_conv1, a * (1 - 0.9**3), rtol=1e-5)
    assert int(block.act_forwards) == 30


def test_l1_and_ebn_alt_scores() -> None:
    w = torch.tensor([[1.0, -2.0], [0.5, 0.5]]).view(2, 2, 1, 1)
    assert filter_l1(w).tolist() == [3.0, 1.0]
    gamma, beta = torch.tensor([2.0, -2.0, 0.0]), torch.tensor([0.5, 0.5, 0.7])
    alt = expected_bn_relu_signed(gamma, beta)
    assert alt[0] == expected_bn_relu(gamma, beta)[0] > 0
    assert alt[1] == -expected_bn_relu(torch.tensor([2.0]), torch.tensor([-0.5]))[0] and alt[1] < 0
    assert float(alt[2]) == pytest.approx(0.7)


def test_resnet_prunes_by_activations_and_blocks_shortcut_after_event() -> None:
    torch.manual_seed(0)
    model = build_model("resnet20")
    spec = spec_from_dict(
        {"model": "resnet20", "epochs": 3, "prune": {"layers": ["layer3.2.conv2"], "score": "activations",
         "target": "small", "start_epoch": [0], "end_epoch": [0], "fraction": [0.1], "retrain_period": 1}}
    )  # fmt: skip
    pruner = Pruner(model, spec.prune, torch.Generator().manual_seed(0))
    model.train()
    for _ in range(10):
        model(torch.randn(4, 3, 16, 16))
    score = model.activation_score("layer3.2.conv2").clone()  # type: ignore[operator]
    assert score.min() > 0
    (report,) = pruner.apply([LayerEvent(t=0, layer="layer3.2.conv2", k=6, alive=58)])
    pruned = torch.nonzero(model.mask("layer3.2.conv2") == 0).squeeze(1)
    assert set(pruned.tolist()) == set(torch.argsort(score.double(), stable=True)[:6].tolist())
    assert report.score_max <= float(score.double().sort().values[6])
    model.eval()
    features = {}
    model.get_submodule("layer3.2").register_forward_hook(lambda m, i, o: features.update(out=o))
    model(torch.randn(2, 3, 16, 16))
    assert not features["out"][:, pruned].any()


@pytest.mark.parametrize(
    ("prune", "key", "allowed"),
    [
        ({"layers": ["conv1"]}, "prune.layers[0]", "allowed: layer1.0.conv1, layer1.0.conv2"),
        ({"layers": ["layer2.0.shortcut.0"]}, "prune.layers[0]", "allowed: layer1.0.conv1"),
        ({"score": "magnitude"}, "prune.score", "allowed there: l2, l1, ebn, ebn_alt, activations"),
    ],
)
def test_bad_resnet_layer_or_score(prune: dict[str, object], key: str, allowed: str) -> None:
    table = {"layers": ["layer4.1.conv2"], "score": "l1", "target": "small", "start_epoch": [0], "end_epoch": [0],
             "fraction": [0.1], "retrain_period": 1} | prune  # fmt: skip
    with pytest.raises(SpecError) as info:
        spec_from_dict({"model": "resnet18", "epochs": 3, "prune": table})
    assert f"{key}:" in str(info.value) and allowed in str(info.value)


def test_activations_score_needs_a_resnet_block_conv() -> None:
    table = {"layers": ["conv5"], "score": "activations", "target": "small", "start_epoch": [0], "end_epoch": [0],
             "fraction": [0.1], "retrain_period": 1}  # fmt: skip
    with pytest.raises(SpecError, match=r"prune.score: 'activations' cannot prune vgg11.conv5 \(allowed there: l2"):
        spec_from_dict({"model": "vgg11", "epochs": 3, "prune": table})


def test_sgd_keys_validate() -> None:
    spec = spec_from_dict({"model": "resnet20", "optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-4, "lr": 0.1})
    assert (spec.optimizer, spec.momentum, spec.weight_decay) == ("sgd", 0.9, 1e-4)
    with pytest.raises(SpecError, match=r"spec: optimizer: 'rmsprop' is not allowed \(allowed: adam, sgd\)"):
        spec_from_dict({"optimizer": "rmsprop"})
    with pytest.raises(SpecError, match=r"spec: momentum: only used with optimizer = \"sgd\""):
        spec_from_dict({"momentum": 0.9})
    with pytest.raises(SpecError, match=r"spec: weight_decay: -1.0 must be >= 0"):
        spec_from_dict({"weight_decay": -1})
