"""Noise in place of pruning (method-later.md §1.2-§1.5, §6.11): temporary zeroing or Gaussian noise on the
filters that pruning would remove, applied at each forward of a per-layer window that opens at each event.

The mask keeps its "ever targeted" meaning (so a filter is never selected twice); only `Prune_L` removes
anything. The injector hooks the conv's forward (train and eval), keeps per-layer windows, snapshots and its
own RNG, and reports how many training and eval forwards each window noised. `state_dict()` makes resume exact.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gst.engine.models import PrunableModel
from gst.engine.spec.noise_kind import NoiseCount, NoiseKind
from gst.engine.spec.noise_window import WindowCount

NOISE_SEED_OFFSET = 7_919  # the noise RNG's stream differs from the pruning RNG's


@dataclass
class Window:
    """One layer's open noise window: targets, its count of forwards (shared with `gst plan`), and (restore)
    the snapshot."""

    epoch: int  # the event's epoch (epochs completed), for the report
    targets: torch.Tensor  # filter indices (CPU, long)
    count: WindowCount
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
    count: NoiseCount = "forwards"
    seed: int = 0
    sigma_from: str = "first_alive"  # or "all_alive": σ over every never-selected filter (method-later §6.12)
    windows: dict[str, Window] = field(default_factory=dict)
    reports: list[WindowReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._paused = False
        self.generator = torch.Generator().manual_seed(self.seed + NOISE_SEED_OFFSET)
        self._hooks = [
            self.model.layer(name).register_forward_pre_hook(self._hook(name))
            for name in self.layers
            if self.kind.temporary
        ]

    def _hook(self, name: str) -> Any:
        def pre_forward(module: nn.Module, _inputs: Any) -> None:
            if not self._paused:
                self.forward(name, module.training)

        return pre_forward

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Forwards inside (a flatness measurement's) neither count in a window nor get noise."""
        self._paused = True
        try:
            yield
        finally:
            self._paused = False

    def on_event(self, layer: str, epoch: int, chosen: torch.Tensor) -> None:
        """Filters `chosen` of `layer` were just selected (already marked in the mask): open a new window."""
        if not self.kind.temporary:
            return
        if layer in self.windows:
            self._close(layer, complete=False)
        targets = chosen.cpu().long()
        if self.kind.family == "cumu":  # all ever-selected filters, old and new
            targets = torch.nonzero(self.model.mask(layer).cpu() == 0).squeeze(1)
        self.windows[layer] = Window(epoch=epoch, targets=targets, count=WindowCount(self.kind, self.count))

    @torch.no_grad()
    def forward(self, layer: str, training: bool) -> None:
        """Called before every forward of `layer`'s conv: advance its window and apply the noise step."""
        window = self.windows.get(layer)
        if window is None:
            return
        action = window.count.take(training)
        if self.kind.family == "cumu" and window.count.forwards == 1:
            window.snapshot = self._snapshot(layer, window.targets)
        if action == "close":
            self._close(layer, complete=True)
            return
        self._step(layer, window.targets)
        if action == "noise_and_close":
            self._close(layer, complete=True)

    def is_open(self) -> bool:
        """Whether any layer's window is open (its next forward would be noised or close it)."""
        return bool(self.windows)

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
        self.reports.append(WindowReport(window.epoch, layer, window.count.train, window.count.eval, complete))

    def drain(self, final: bool = False) -> list[WindowReport]:
        """Reports of windows closed since the last call; with `final`, also the windows still open."""
        if final:
            for layer, w in self.windows.items():
                self.reports.append(WindowReport(w.epoch, layer, w.count.train, w.count.eval, complete=False))
        reports, self.reports = self.reports, []
        return reports

    def state_dict(self) -> dict[str, Any]:
        """Open windows (with snapshots), pending reports and the RNG: everything resume needs."""
        return {
            "windows": {
                name: {
                    "epoch": w.epoch,
                    "targets": w.targets.clone(),
                    "forwards": w.count.forwards,
                    "train": w.count.train,
                    "eval": w.count.eval,
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
                count=WindowCount(self.kind, self.count, w["forwards"], w["train"], w["eval"]),
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
