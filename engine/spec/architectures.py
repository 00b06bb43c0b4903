"""Torch-free description of every model's layers: what can be pruned and how many parameters it holds.

One source of truth for `engine.models` (which builds the modules), plans and `gst models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LayerKind = Literal["conv", "linear"]

# VGG configs: numbers are conv widths, "M" is a 2x2 max-pool (torchvision's "A" and "E").
VGG_CONFIGS: dict[str, tuple[int | str, ...]] = {
    "vgg11": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M") + (512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerInfo:
    """A prunable layer: conv layers lose whole filters, linear layers single weights."""

    name: str
    kind: LayerKind
    in_features: int  # input channels (conv) or input features (linear)
    out_features: int  # filters (conv) or outputs (linear)
    kernel: int = 1  # conv kernel side; 1 for linear
    has_bn: bool = False  # a BatchNorm2d follows the conv
    bias: bool = True  # ResNet convs have none
    block: bool = False  # a ResNet block conv (takes the `activations` score)

    @property
    def own_params(self) -> int:
        """Weights + bias (+ BN gamma/beta) of this layer."""
        bn = 2 * self.out_features if self.has_bn else 0
        bias = self.out_features if self.bias else 0
        return self.in_features * self.out_features * self.kernel**2 + bias + bn

    @property
    def structured(self) -> bool:
        """Conv layers are pruned by filter, linear layers by weight."""
        return self.kind == "conv"

    @property
    def units(self) -> int:
        """What a pruning fraction counts: filters (conv) or weights (linear)."""
        return self.out_features if self.structured else self.in_features * self.out_features

    @property
    def params_per_unit(self) -> int:
        """Filter-own parameters (weights, bias, BN gamma/beta) of one filter, or 1 for a weight."""
        if not self.structured:
            return 1
        return self.in_features * self.kernel**2 + int(self.bias) + (2 if self.has_bn else 0)

    @property
    def scores(self) -> tuple[str, ...]:
        """The pruning scores this layer accepts."""
        if not self.structured:
            return ("magnitude",)
        scores = ("l2", "l1", "ebn", "ebn_alt") if self.has_bn else ("l2", "l1")
        return (*scores, "activations") if self.block else scores


@dataclass(frozen=True, slots=True, kw_only=True)
class Architecture:
    """A model's name, summary and ordered layers."""

    name: str
    summary: str
    layers: tuple[LayerInfo, ...]
    other_params: int = 0  # parameters outside the prunable layers (ResNet stem, shortcuts, head)

    @property
    def params(self) -> int:
        """Trainable parameters (BN running statistics excluded)."""
        return sum(layer.own_params for layer in self.layers) + self.other_params

    def layer(self, name: str) -> LayerInfo:
        """The layer called `name` (KeyError if absent)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Layer names in forward order."""
        return tuple(layer.name for layer in self.layers)


def _vgg(name: str, summary: str) -> Architecture:
    layers: list[LayerInfo] = []
    channels = 3
    for item in VGG_CONFIGS[name]:
        if item == "M":
            continue
        assert isinstance(item, int)
        layers.append(
            LayerInfo(
                name=f"conv{len(layers) + 1}",
                kind="conv",
                in_features=channels,
                out_features=item,
                kernel=3,
                has_bn=True,
            )
        )
        channels = item
    layers.append(LayerInfo(name="fc1", kind="linear", in_features=channels, out_features=10))
    return Architecture(name=name, summary=summary, layers=tuple(layers))


def _conv4() -> Architecture:
    convs = ((3, 32), (32, 32), (32, 64), (64, 64))
    layers = [
        LayerInfo(name=f"conv{i + 1}", kind="conv", in_features=cin, out_features=cout, kernel=3)
        for i, (cin, cout) in enumerate(convs)
    ]
    layers.append(LayerInfo(name="fc1", kind="linear", in_features=64 * 6 * 6, out_features=512))
    layers.append(LayerInfo(name="fc2", kind="linear", in_features=512, out_features=10))
    return Architecture(
        name="conv4", summary="Conv4 (Keras cifar10_cnn layout, no BN, no dropout)", layers=tuple(layers)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ResNetLayout:
    """Stem width, per-stage widths, blocks per stage and first-block strides; shortcut kind (method-later §3.1)."""

    stem: int
    widths: tuple[int, ...]
    blocks: int
    strides: tuple[int, ...]
    conv_shortcut: bool  # ResNet18: 1x1 conv + BN where the shape changes; ResNet20/56: option A (no parameters)


RESNET_LAYOUTS: dict[str, ResNetLayout] = {
    "resnet18": ResNetLayout(stem=64, widths=(64, 128, 256, 512), blocks=2, strides=(1, 2, 2, 2), conv_shortcut=True),
    "resnet20": ResNetLayout(stem=16, widths=(16, 32, 64), blocks=3, strides=(1, 2, 2), conv_shortcut=False),
    "resnet56": ResNetLayout(stem=16, widths=(16, 32, 64), blocks=9, strides=(1, 2, 2), conv_shortcut=False),
}


def resnet_blocks(layout: ResNetLayout) -> list[tuple[str, int, int, int]]:
    """(block name, input channels, width, stride) of every BasicBlock in forward order."""
    blocks, channels = [], layout.stem
    for stage, (width, stride) in enumerate(zip(layout.widths, layout.strides, strict=True)):
        for i in range(layout.blocks):
            blocks.append((f"layer{stage + 1}.{i}", channels, width, stride if i == 0 else 1))
            channels = width
    return blocks


def _resnet(name: str, summary: str) -> Architecture:
    """Block convs are the prunable layers; stem, shortcut convs and the head are counted in other_params."""
    layout = RESNET_LAYOUTS[name]
    layers: list[LayerInfo] = []
    other = 3 * layout.stem * 9 + 2 * layout.stem  # stem conv (no bias) + BN
    for block, cin, width, stride in resnet_blocks(layout):
        for conv, fan_in in (("conv1", cin), ("conv2", width)):
            layers.append(
                LayerInfo(
                    name=f"{block}.{conv}",
                    kind="conv",
                    in_features=fan_in,
                    out_features=width,
                    kernel=3,
                    has_bn=True,
                    bias=False,
                    block=True,
                )
            )
        if layout.conv_shortcut and (stride != 1 or cin != width):
            other += cin * width + 2 * width  # 1x1 conv (no bias) + BN
    other += layout.widths[-1] * 10 + 10  # Linear(width, 10)
    return Architecture(name=name, summary=summary, layers=tuple(layers), other_params=other)


ARCHITECTURES: dict[str, Architecture] = {
    "conv4": _conv4(),
    "vgg11": _vgg("vgg11", "VGG11-BN with one FC layer (torchvision config A)"),
    "vgg19": _vgg("vgg19", "VGG19-BN with one FC layer (torchvision config E)"),
    "resnet18": _resnet("resnet18", "ResNet18 for CIFAR (1x1-conv shortcuts, PyTorch default init)"),
    "resnet20": _resnet("resnet20", "ResNet20 for CIFAR (option-A shortcuts, kaiming-normal init)"),
    "resnet56": _resnet("resnet56", "ResNet56 for CIFAR (option-A shortcuts, kaiming-normal init)"),
}
