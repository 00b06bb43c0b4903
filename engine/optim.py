"""The optimizers a spec can ask for (method.md §3.1 Adam; method-later.md §3.4 SGD with momentum)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from gst.engine.spec.specs import RunSpec


def make_optimizer(params: Iterable[torch.nn.Parameter], spec: RunSpec) -> torch.optim.Optimizer:
    """Adam (0.9, 0.999, eps 1e-8) or SGD with momentum (not Nesterov), both with the spec's weight decay."""
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay)
    return torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay)
