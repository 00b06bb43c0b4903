"""The training loop's hooks for the later paper: its optimizers (method-later.md §3.4) and the noise-window
records (§6.11), kept out of `engine.train` so the loop itself stays small."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from gst.engine.events import Event, NoiseWindowClosed
from gst.engine.prune import Pruner
from gst.engine.spec import RunSpec


def make_optimizer(params: Iterable[torch.nn.Parameter], spec: RunSpec) -> torch.optim.Optimizer:
    """Adam (0.9, 0.999, eps 1e-8) or SGD with momentum (not Nesterov), both with the spec's weight decay."""
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay)
    return torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay)


def emit_noise_windows(run_id: str, pruner: Pruner, emit: Callable[[Event], None], final: bool = False) -> None:
    """Emit a record for each noise window closed since the last call (with `final`, also the open ones)."""
    for r in pruner.noise_reports(final):
        emit(
            NoiseWindowClosed(
                run_id=run_id,
                epoch=r.epoch,
                layer=r.layer,
                train_forwards=r.train_forwards,
                eval_forwards=r.eval_forwards,
                complete=r.complete,
            )
        )
