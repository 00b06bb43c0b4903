"""Gradient noise and Hessian trace (method-later §2.2, §6.2): per-example gradients by vmap(grad).

Tr C (parity) is the uncentered second moment (1/N) Σ ‖gᵢ‖²; the centered trace subtracts ‖ḡ‖².
Hutchinson's estimate of Tr H averages vᵀHv over Rademacher vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.func import grad, vmap

from gst.engine.flatness.hvp import FlatLoss


@dataclass(frozen=True)
class GradientNoise:
    """Traces of the per-example gradient second moment (masked coordinates excluded)."""

    uncentered: float  # (1/N) Σ ‖gᵢ‖², the authors' `grad_covariance_trace`
    centered: float  # uncentered − ‖ḡ‖²
    mean_grad_sq: float  # ‖ḡ‖²


def gradient_noise(f: FlatLoss, chunk: int = 32) -> GradientNoise:
    """Per-example gradients of the loss, `chunk` examples per vmapped call (never a Python loop)."""

    def single(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return f.criterion(f.logits(theta, x[None]), y[None])

    per_example = vmap(grad(single), in_dims=(None, 0, 0))
    sq_sum = torch.zeros((), dtype=torch.float64, device=f.theta.device)
    mean = torch.zeros_like(f.theta, dtype=torch.float64)
    with torch.no_grad():
        for i in range(0, f.count, chunk):
            g = per_example(f.theta, f.x[i : i + chunk], f.y[i : i + chunk]) * f.alive  # (b, P)
            sq_sum += (g.double() ** 2).sum()
            mean += g.double().sum(0)
    n = f.count
    uncentered = float(sq_sum) / n
    mean_sq = float((mean / n).square().sum())
    return GradientNoise(uncentered=uncentered, centered=uncentered - mean_sq, mean_grad_sq=mean_sq)


def hutchinson_trace(f: FlatLoss, samples: int, generator: torch.Generator, block: int = 8) -> float:
    """Tr(PHP) ≈ mean of vᵀHv over `samples` Rademacher vectors on the alive coordinates."""
    if samples < 1:
        return float("nan")
    total = 0.0
    for start in range(0, samples, block):
        b = min(block, samples - start)
        v = (torch.randint(0, 2, (b, f.size), generator=generator) * 2 - 1).to(f.theta.device, f.theta.dtype)
        v = v * f.alive
        total += float((v.double() * f.hvp(v).double()).sum())
    return total / samples
