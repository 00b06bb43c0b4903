from __future__ import annotations

import pytest

from gst.engine.models import build_model, count_params
from gst.engine.spec.architectures import ARCHITECTURES


@pytest.mark.parametrize(("name", "params"), [("conv4", 1_250_858), ("vgg11", 9_231_114), ("vgg19", 20_040_522)])
def test_parameter_counts_match_paper_and_torch(name: str, params: int) -> None:
    assert ARCHITECTURES[name].params == params
    assert count_params(build_model(name)) == params


def test_vgg11_targeted_layers_hold_89_5_percent() -> None:
    arch = ARCHITECTURES["vgg11"]
    assert sum(arch.layer(f"conv{i}").own_params for i in (5, 6, 7, 8)) == 8_263_680


def test_conv4_fc1_is_94_35_percent() -> None:
    arch = ARCHITECTURES["conv4"]
    assert arch.layer("fc1").own_params == 1_180_160
    assert round(100 * arch.layer("fc1").own_params / arch.params, 2) == 94.35
    assert arch.layer("fc1").units == 1_179_648


def test_every_layer_is_reachable_with_its_mask() -> None:
    for name, arch in ARCHITECTURES.items():
        model = build_model(name)
        for info in arch.layers:
            layer = model.layer(info.name)
            assert layer.weight.shape[0] == info.out_features
            assert model.mask(info.name).numel() == (info.out_features if info.structured else layer.weight.numel())
            assert (model.batch_norm(info.name) is not None) == info.has_bn
        assert any(k.rsplit(".", 1)[-1].startswith("mask_") for k in model.state_dict())


def test_vgg_classifier_keeps_pytorch_default_init() -> None:
    model = build_model("vgg11")
    bound = 1 / 512**0.5
    assert model.fc1.weight.abs().max() <= bound
    assert model.fc1.weight.std() > 0.02  # not N(0, 0.01)
