"""ResNet18/20/56 for CIFAR with prunable block convs (method-later.md §3.1-§3.3).

Masks live on the blocks (`mask_conv1`, `mask_conv2`: buffer names cannot contain dots), so they travel with
`state_dict`. A pruned conv2 channel also blocks the shortcut for that channel, so the block outputs exactly 0
there (§3.2); `prune.shortcut = "keep"` (the conv-only variant, §6.17) and temporary noise leave it open. The `activations` score is an EMA buffer per block conv, updated every 10th training forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gst.engine.models import PrunableModel
from gst.engine.spec.architectures import ARCHITECTURES, RESNET_LAYOUTS, resnet_blocks

ACTIVATION_EVERY = 10  # training forwards between EMA updates of the `activations` score
ACTIVATION_DECAY = 0.9  # score <- 0.1 a + 0.9 score


class OptionA(nn.Module):
    """Parameter-free shortcut: subsample by 2 and zero-pad planes/4 channels on each side."""

    def __init__(self, planes: int) -> None:
        super().__init__()
        self.pad = planes // 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C + 2 pad, H/2, W/2)."""
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class BasicBlock(nn.Module):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus a shortcut gated by conv2's mask, then ReLU."""

    mask_conv1: torch.Tensor  # buffers, registered in __init__
    mask_conv2: torch.Tensor
    act_conv1: torch.Tensor
    act_conv2: torch.Tensor
    act_forwards: torch.Tensor

    def __init__(self, cin: int, planes: int, stride: int, conv_shortcut: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != planes:
            self.shortcut = (
                nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                if conv_shortcut
                else OptionA(planes)
            )
        self.register_buffer("mask_conv1", torch.ones(planes))
        self.register_buffer("mask_conv2", torch.ones(planes))
        self.register_buffer("act_conv1", torch.zeros(planes))
        self.register_buffer("act_conv2", torch.zeros(planes))
        self.register_buffer("act_forwards", torch.zeros((), dtype=torch.long))
        self.gate_shortcut = True  # False when the mask only records noise targets (nothing removed)
        self.track_activations = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Block output; with conv2 channel c pruned, channel c is exactly 0 (shortcut blocked too)."""
        h = self.bn1(self.conv1(x))
        out = self.bn2(self.conv2(F.relu(h)))
        skip = self.shortcut(x)
        out = out + (skip * self.mask_conv2.view(1, -1, 1, 1) if self.gate_shortcut else skip)
        if self.track_activations and self.training:
            self._update_activations(h, out)
        return F.relu(out)

    @torch.no_grad()
    def _update_activations(self, h: torch.Tensor, out: torch.Tensor) -> None:
        """EMA of per-channel sums of |pre-ReLU activation| every 10th training forward, without a host sync."""
        self.act_forwards += 1
        due = (self.act_forwards % ACTIVATION_EVERY) == 0
        for ema, value in ((self.act_conv1, h), (self.act_conv2, out)):
            a = value.detach().abs().sum(dim=(0, 2, 3)).to(ema.dtype)
            ema.copy_(torch.where(due, (1 - ACTIVATION_DECAY) * a + ACTIVATION_DECAY * ema, ema))


class ResNet(PrunableModel):
    """ResNet18 (1x1-conv shortcuts, PyTorch default init) or ResNet20/56 (option A, kaiming-normal init)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.architecture = ARCHITECTURES[name]
        layout = RESNET_LAYOUTS[name]
        self.conv1 = nn.Conv2d(3, layout.stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(layout.stem)
        stages: dict[str, list[nn.Module]] = {}
        for block, cin, width, stride in resnet_blocks(layout):
            stages.setdefault(block.split(".")[0], []).append(BasicBlock(cin, width, stride, layout.conv_shortcut))
        for stage, blocks in stages.items():
            self.add_module(stage, nn.Sequential(*blocks))
        self.stages = tuple(stages)
        self.fc = nn.Linear(layout.widths[-1], 10)
        if not layout.conv_shortcut:  # resnet2056_arch: kaiming_normal_ on every conv and linear weight
            for m in self.modules():
                if isinstance(m, nn.Conv2d | nn.Linear):
                    nn.init.kaiming_normal_(m.weight)

    def _block(self, name: str) -> BasicBlock:
        block = self.get_submodule(name.rsplit(".", 1)[0])
        assert isinstance(block, BasicBlock)
        return block

    def layer(self, name: str) -> nn.Conv2d | nn.Linear:
        """The block conv called e.g. `layer4.1.conv2`."""
        module = self.get_submodule(name)
        assert isinstance(module, nn.Conv2d)
        return module

    def batch_norm(self, name: str) -> nn.BatchNorm2d | None:
        """bn1 after conv1, bn2 after conv2 of the same block."""
        bn = self._block(name).get_submodule("bn" + name[-1])
        assert isinstance(bn, nn.BatchNorm2d)
        return bn

    def mask(self, name: str) -> torch.Tensor:
        """The filter mask of block conv `name` (a buffer of its block)."""
        return self._block(name).get_buffer("mask_" + name.rsplit(".", 1)[1])

    def activation_score(self, name: str) -> torch.Tensor:
        """The `activations` EMA of block conv `name` (per filter)."""
        return self._block(name).get_buffer("act_" + name.rsplit(".", 1)[1])

    def blocks(self) -> list[BasicBlock]:
        """Every BasicBlock in forward order."""
        return [m for m in self.modules() if isinstance(m, BasicBlock)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 32, 32) -> (B, 10) logits."""
        out = F.relu(self.bn1(self.conv1(x)))
        for stage in self.stages:
            out = self.get_submodule(stage)(out)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))
