"""Conv4, VGG11-BN and VGG19-BN (one FC layer) with a pruning mask buffer per prunable layer (method.md §1).

ResNets live in `engine.resnet`; `build_model` builds every architecture.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from gst.engine.spec.architectures import ARCHITECTURES, VGG_CONFIGS, Architecture


class PrunableModel(nn.Module):
    """A model whose layers are reachable by name and carry `mask_<layer>` buffers (1 = alive).

    Filter masks have one entry per output channel; weight masks have the weight's shape.
    Masks are buffers, so they travel with `state_dict` through checkpoints.
    """

    architecture: Architecture

    def _register_masks(self) -> None:
        for info in self.architecture.layers:
            module = self.layer(info.name)
            shape = (info.out_features,) if info.structured else tuple(module.weight.shape)
            self.register_buffer(f"mask_{info.name}", torch.ones(shape))

    def layer(self, name: str) -> nn.Conv2d | nn.Linear:
        """The conv or linear module called `name`."""
        raise NotImplementedError

    def batch_norm(self, name: str) -> nn.BatchNorm2d | None:
        """The BatchNorm2d right after layer `name`, if any."""
        return None

    def mask(self, name: str) -> torch.Tensor:
        """The mask buffer of layer `name`."""
        return self.get_buffer(f"mask_{name}")


class VGG(PrunableModel):
    """VGG-BN for 32x32 inputs: conv -> BN -> ReLU blocks, no avg-pool, a single Linear(512, 10)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.architecture = ARCHITECTURES[name]
        blocks: OrderedDict[str, nn.Module] = OrderedDict()
        channels, convs, pools = 3, 0, 0
        for item in VGG_CONFIGS[name]:
            if item == "M":
                pools += 1
                blocks[f"pool{pools}"] = nn.MaxPool2d(2, 2)
                continue
            assert isinstance(item, int)
            convs += 1
            blocks[f"conv{convs}"] = nn.Conv2d(channels, item, 3, padding=1)
            blocks[f"bn{convs}"] = nn.BatchNorm2d(item)
            blocks[f"relu{convs}"] = nn.ReLU(inplace=True)
            channels = item
        self.features = nn.Sequential(blocks)
        for m in self.features.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        # The authors replace the classifier after init, so it keeps PyTorch's default Linear init.
        self.fc1 = nn.Linear(channels, 10)
        self._register_masks()

    def layer(self, name: str) -> nn.Conv2d | nn.Linear:
        """The conv or linear module called `name`."""
        module = self.fc1 if name == "fc1" else self.features.get_submodule(name)
        assert isinstance(module, nn.Conv2d | nn.Linear)
        return module

    def batch_norm(self, name: str) -> nn.BatchNorm2d | None:
        """The BN after conv<n>."""
        if not name.startswith("conv"):
            return None
        bn = self.features.get_submodule("bn" + name[4:])
        assert isinstance(bn, nn.BatchNorm2d)
        return bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 32, 32) -> (B, 10) logits."""
        return self.fc1(torch.flatten(self.features(x), 1))


class Conv4(PrunableModel):
    """Keras cifar10_cnn layout: conv(same), conv(valid), pool, conv(same), conv(valid), pool, fc 2304->512->10."""

    def __init__(self, dropout: tuple[float, ...] = ()) -> None:
        super().__init__()
        self.architecture = ARCHITECTURES["conv4"]
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 32, 3)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv4 = nn.Conv2d(64, 64, 3)
        self.fc1 = nn.Linear(2304, 512)
        self.fc2 = nn.Linear(512, 10)
        p1, p2, p3 = dropout or (0.0, 0.0, 0.0)
        self.drop1, self.drop2, self.drop3 = nn.Dropout(p1), nn.Dropout(p2), nn.Dropout(p3)
        self._register_masks()

    def layer(self, name: str) -> nn.Conv2d | nn.Linear:
        """The conv or linear module called `name`."""
        module = self.get_submodule(name)
        assert isinstance(module, nn.Conv2d | nn.Linear)
        return module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 32, 32) -> (B, 10) logits."""
        relu, pool = torch.relu, nn.functional.max_pool2d
        x = self.drop1(pool(relu(self.conv2(relu(self.conv1(x)))), 2))  # (B, 32, 15, 15)
        x = self.drop2(pool(relu(self.conv4(relu(self.conv3(x)))), 2))  # (B, 64, 6, 6)
        x = self.drop3(relu(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


def build_model(name: str, conv4_dropout: tuple[float, ...] = ()) -> PrunableModel:
    """A freshly initialised model (uses the global torch RNG: seed first)."""
    if name == "conv4":
        return Conv4(conv4_dropout)
    if name.startswith("resnet"):
        from gst.engine.resnet import ResNet  # resnet builds on PrunableModel defined here

        return ResNet(name)
    return VGG(name)


def count_params(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters())
