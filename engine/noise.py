"""Noise in place of pruning (method-later.md §1.2-§1.5, §6.11): temporary zeroing or Gaussian noise on the
filters that pruning would remove, applied at each forward of a per-layer window that opens at each event.

The mask keeps its "ever targeted" meaning (so a filter is never selected twice); only `Prune_L` removes
anything. The injector hooks the conv's forward (train and eval), keeps per-layer windows, snapshots and its
own RNG, and reports how many training and eval forwards each window noised. `state_dict()` makes resume exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gst.engine.models import PrunableModel
from gst.engine.spec.noise_kind import NoiseKind

NOISE_SEED_OFFSET = 7_919  # the noise RNG's stream differs from the pruning RNG's


@dataclass
class Window:
    """One layer's open noise window: targets, forwards seen and noised, and (restore) the snapshot."""

    epoch: int  # the event's epoch (epochs completed), for the report
    targets: torch.Tensor  # filter indices (CPU, long)
    forwards: int = 0  # forwards seen since the event (the authors' counter c)
    train: int = 0  # noised (or zeroed) training forwards
    eval: int = 0  # noised (or zeroed) eval forwards
    snapshot: dict[str, torch.Tensor] | None = None


@dataclass(frozen=True, slots=True)
class WindowReport:
    """A window that closed (or was still open at the end of the run)."""

    epoch: int
    layer: str
    train_forwards: int
    eval_forwards: int
    complete: bool  # False: cut short by a new event in the layer, or still open when the run ended


@dataclass
class NoiseInjector:
    """Per-layer noise windows of one run, applied by forward pre-hooks on the pruned convs."""

    model: PrunableModel
    layers: tuple[str, ...]
    kind: NoiseKind
    count: str = "forwards"
    seed: int = 0
    sigma_from: str = "first_alive"  # or "all_alive": σ over every never-selected filter (method-later §6.12)
    windows: dict[str, Window] = field(default_factory=dict)
    reports: list[WindowReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.generator = torch.Generator().manual_seed(self.seed + NOISE_SEED_OFFSET)
        self._hooks = [
            self.model.layer(name).register_forward_pre_hook(self._hook(name))
            for name in self.layers
            if self.kind.temporary
        ]

    def _hook(self, name: str) -> Any:
        def pre_forward(module: nn.Module, _inputs: Any) -> None:
            self.forward(name, module.training)

        return pre_forward

    def on_event(self, layer: str, epoch: int, chosen: torch.Tensor) -> None:
        """Filters `chosen` of `layer` were just selected (already marked in the mask): open a new window."""
        if not self.kind.temporary:
            return
        if layer in self.windows:
            self._close(layer, complete=False)
        targets = chosen.cpu().long()
        if self.kind.family == "cumu":  # all ever-selected filters, old and new
            targets = torch.nonzero(self.model.mask(layer).cpu() == 0).squeeze(1)
        self.windows[layer] = Window(epoch=epoch, targets=targets)

    @torch.no_grad()
    def forward(self, layer: str, training: bool) -> None:
        """Called before every forward of `layer`'s conv: advance its window and apply the noise step."""
        window = self.windows.get(layer)
        if window is None:
            return
        b = self.kind.window
        window.forwards += 1
        j = window.forwards
        if self.kind.family == "cumu" and j == 1:
            window.snapshot = self._snapshot(layer, window.targets)
        if self.count == "forwards":
            closing = j > b if self.kind.family == "cumu" else j > b + 1
        else:  # train_batches: B training forwards, and the eval forwards before the last of them
            closing = window.train >= b and (b > 0 or training)
        if closing:
            self._close(layer, complete=True)
            return
        self._step(layer, window.targets)
        if training:
            window.train += 1
        else:
            window.eval += 1
        if self.count == "forwards" and self.kind.family == "iter" and j == b + 1:
            self._close(layer, complete=True)

    def _step(self, layer: str, targets: torch.Tensor) -> None:
        conv = self.model.layer(layer)
        idx = targets.to(conv.weight.device)
        if self.kind.step == "gaussian":
            sigma = self._sigma(layer)
            shape = (len(targets), *conv.weight.shape[1:])
            noise = torch.randn(shape, generator=self.generator, dtype=torch.float64) * sigma
            conv.weight.data[idx] += noise.to(conv.weight.device, conv.weight.dtype)
            return
        conv.weight.data[idx] = 0
        bn = self.model.batch_norm(layer)
        if self.kind.family == "cumu" and bn is not None:
            bn.weight.data[idx] = 0
            bn.bias.data[idx] = 0

    def _sigma(self, layer: str) -> float:
        """Unbiased std of the weights of the first never-selected filter (parity, method-later.md §1.3), or
        of all never-selected filters' weights pooled (`all_alive`, §6.12)."""
        alive = torch.nonzero(self.model.mask(layer).cpu() > 0).squeeze(1)
        weight = self.model.layer(layer).weight.data
        if self.sigma_from == "all_alive":
            return float(weight[alive.to(weight.device)].double().std())
        return float(weight[int(alive[0])].double().std())

    def _tensors(self, layer: str) -> dict[str, torch.Tensor]:
        conv, bn = self.model.layer(layer), self.model.batch_norm(layer)
        tensors = {"weight": conv.weight.data}
        if bn is not None:
            assert bn.running_mean is not None and bn.running_var is not None
            tensors |= {
                "gamma": bn.weight.data,
                "beta": bn.bias.data,
                "running_mean": bn.running_mean,
                "running_var": bn.running_var,
            }
        return tensors

    def _snapshot(self, layer: str, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.inference_mode(False):
            return {k: v[targets.to(v.device)].clone() for k, v in self._tensors(layer).items()}

    def _close(self, layer: str, complete: bool) -> None:
        window = self.windows.pop(layer)
        if window.snapshot is not None:  # restore: weights, gamma, beta and running statistics, bitwise
            for key, tensor in self._tensors(layer).items():
                tensor[window.targets.to(tensor.device)] = window.snapshot[key].to(tensor.device)
        self.reports.append(WindowReport(window.epoch, layer, window.train, window.eval, complete))

    def drain(self, final: bool = False) -> list[WindowReport]:
        """Reports of windows closed since the last call; with `final`, also the windows still open."""
        if final:
            for layer, w in self.windows.items():
                self.reports.append(WindowReport(w.epoch, layer, w.train, w.eval, complete=False))
        reports, self.reports = self.reports, []
        return reports

    def state_dict(self) -> dict[str, Any]:
        """Open windows (with snapshots), pending reports and the RNG: everything resume needs."""
        return {
            "windows": {
                name: {
                    "epoch": w.epoch,
                    "targets": w.targets.clone(),
                    "forwards": w.forwards,
                    "train": w.train,
                    "eval": w.eval,
                    "snapshot": None if w.snapshot is None else {k: v.cpu() for k, v in w.snapshot.items()},
                }
                for name, w in self.windows.items()
            },
            "reports": [vars_of(r) for r in self.reports],
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of `state_dict`."""
        self.windows = {
            name: Window(
                epoch=w["epoch"],
                targets=w["targets"].cpu().long(),
                forwards=w["forwards"],
                train=w["train"],
                eval=w["eval"],
                snapshot=None if w["snapshot"] is None else dict(w["snapshot"]),
            )
            for name, w in state["windows"].items()
        }
        self.reports = [WindowReport(**r) for r in state["reports"]]
        self.generator.set_state(state["generator"].cpu())


def vars_of(report: WindowReport) -> dict[str, Any]:
    """A WindowReport as a plain dict (slots dataclasses have no __dict__)."""
    return {
        "epoch": report.epoch,
        "layer": report.layer,
        "train_forwards": report.train_forwards,
        "eval_forwards": report.eval_forwards,
        "complete": report.complete,
    }
