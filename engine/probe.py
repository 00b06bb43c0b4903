"""Fig A1 probe: how close are BN-normalised activations to the N(0, 1) that E[BN] assumes? (method.md §1.3)

Feeds a fixed batch in train mode (batch statistics) through a copy of the model, so training is untouched.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy import stats
from torch import nn

from gst.engine.spec.events import BnActivations

PROBE_IMAGES = 128  # the first 128 training images, unshuffled, as the authors' Figure_B1.py
PROBE_LAYERS = 8  # the last 8 BN layers
BINS, RANGE = 200, (-5.0, 5.0)


def normalised_inputs(model: nn.Module, x: torch.Tensor) -> dict[str, np.ndarray]:
    """x_hat = (input - batch mean) / sqrt(batch var + eps) of the last BN layers, all channels pooled."""
    probe = copy.deepcopy(model).train()
    bns = [(name, m) for name, m in probe.named_modules() if isinstance(m, nn.BatchNorm2d)][-PROBE_LAYERS:]
    captured: dict[str, np.ndarray] = {}

    def hook(name: str, bn: nn.BatchNorm2d) -> object:
        def record(_: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            a = inputs[0].double()
            mean = a.mean(dim=(0, 2, 3), keepdim=True)
            var = a.var(dim=(0, 2, 3), keepdim=True, unbiased=False)
            captured[name] = ((a - mean) / torch.sqrt(var + bn.eps)).flatten().cpu().numpy()

        return record

    for name, bn in bns:
        bn.register_forward_pre_hook(hook(name, bn))  # type: ignore[arg-type]  # torch types hooks loosely
    with torch.no_grad():
        probe(x)
    return captured


def bn_activations(run_id: str, epoch: int, model: nn.Module, x: torch.Tensor) -> list[BnActivations]:
    """One record per probed BN layer: density histogram and distance to N(0, 1)."""
    records = []
    for name, values in normalised_inputs(model, x).items():
        counts, edges = np.histogram(values, bins=BINS, range=RANGE)
        density = counts / (values.size * (edges[1] - edges[0]))
        records.append(
            BnActivations(
                run_id=run_id,
                epoch=epoch,
                layer=name.split(".")[-1],
                bin_edges=tuple(float(e) for e in edges),
                density=tuple(float(d) for d in density),
                mean=float(values.mean()),
                std=float(values.std()),
                skewness=float(stats.skew(values)),
                kurtosis=float(stats.kurtosis(values)),
                ks_distance=float(stats.kstest(values, "norm").statistic),
            )
        )
    return records
