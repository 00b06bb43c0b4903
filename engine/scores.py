"""Pruning scores over alive units: weight magnitude, filter L2/L1 norms, E[BN] and EBN_alt (method.md §2.2-§2.3)."""

from __future__ import annotations

import math

import torch


def expected_bn_relu(gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """E[ReLU(N(beta, gamma^2))] per channel in float64: beta * Phi(beta/|gamma|) + |gamma| * phi(beta/|gamma|).

    gamma is used as the standard deviation (|gamma|, the authors' `EBN`); gamma = 0 gives max(beta, 0).
    """
    g = gamma.detach().double().abs().cpu()
    b = beta.detach().double().cpu()
    safe = torch.where(g > 0, g, torch.ones_like(g))
    a = b / safe
    value = b * torch.special.ndtr(a) + safe * torch.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    return torch.where(g > 0, value, b.clamp(min=0))


def expected_bn_relu_signed(gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """`EBN_alt` (method.md §2.3): gamma used with its sign, so gamma < 0 gives -E[ReLU(N(-beta, gamma^2))] < 0."""
    negative = gamma.detach().cpu() < 0
    return torch.where(negative, -expected_bn_relu(gamma, -beta), expected_bn_relu(gamma, beta))


def filter_l1(weight: torch.Tensor) -> torch.Tensor:
    """L1 norm of each output filter (bias excluded), float64 (method-later.md §3.3)."""
    return weight.detach().double().flatten(1).abs().sum(dim=1).cpu()


def filter_l2(weight: torch.Tensor) -> torch.Tensor:
    """L2 norm of each output filter (bias excluded), float64."""
    return weight.detach().double().flatten(1).norm(dim=1).cpu()


def magnitude(weight: torch.Tensor) -> torch.Tensor:
    """|w| of every weight, flattened, float64."""
    return weight.detach().double().abs().flatten().cpu()


def select(scores: torch.Tensor, k: int, target: str, generator: torch.Generator) -> torch.Tensor:
    """Positions (into `scores`) of exactly k units to prune; ties go to the lowest index.

    small: k smallest scores; large: k largest; random: k uniformly random positions from `generator`.
    """
    n = scores.numel()
    if not 0 <= k <= n:
        raise ValueError(f"cannot prune {k} of {n} alive units")
    if target == "random":
        return torch.randperm(n, generator=generator)[:k]
    order = torch.sort(scores, descending=target == "large", stable=True).indices
    return order[:k]
