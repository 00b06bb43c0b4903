"""The loss as a function of one flat parameter vector, and its Hessian-vector products (method-later §2.3).

The model is called functionally (`torch.func.functional_call`) in eval mode, so BN uses its running
statistics and the model itself is never written to. Vectors live in the flat space of all of
`model.parameters()` in that order; pruned coordinates are zeroed in every vector (§6.9), so the operator
is P·H·P with P the projection on alive coordinates, whatever way the masks are enforced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, jvp, vmap


def alive_vector(model: nn.Module, governed: dict[str, list[tuple[torch.Tensor, torch.Tensor]]]) -> torch.Tensor:
    """Flat 0/1 vector over `model.parameters()`: 0 where a pruning mask zeroes the coordinate."""
    parts = []
    masks: dict[int, torch.Tensor] = {}
    for pairs in governed.values():
        for param, view in pairs:
            current = masks.get(id(param), torch.ones_like(param))
            masks[id(param)] = current * view.to(param.dtype).expand_as(param)
    for param in model.parameters():
        parts.append(masks.get(id(param), torch.ones_like(param)).detach().reshape(-1))
    return torch.cat(parts)


@dataclass
class FlatLoss:
    """Mean cross-entropy (or `criterion`) of `model` (eval mode) on (x, y) as a function of a flat (P,) parameter vector.

    `chunk` bounds how many examples go through one forward: products are summed over chunks, weighted by
    their share of the examples, so the result does not depend on it (up to float rounding).
    """

    model: nn.Module
    x: torch.Tensor  # (N, 3, 32, 32), normalised
    y: torch.Tensor  # (N,)
    alive: torch.Tensor  # (P,) 0/1
    chunk: int = 512
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy  # mean over the batch

    def __post_init__(self) -> None:
        named = list(self.model.named_parameters())
        self.names = tuple(n for n, _ in named)
        self.shapes = tuple(p.shape for _, p in named)
        self.numels = tuple(p.numel() for _, p in named)
        self.theta = torch.cat([p.detach().reshape(-1) for _, p in named]).clone()  # (P,)
        self.buffers = {n: b.detach() for n, b in self.model.named_buffers()}
        self.alive = self.alive.to(self.theta.dtype)

    @property
    def size(self) -> int:
        """P, the number of parameters."""
        return int(self.theta.numel())

    @property
    def count(self) -> int:
        """N, the number of examples."""
        return int(self.y.numel())

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """A flat (P,) vector as a name -> tensor dict shaped like the model's parameters."""
        pieces = torch.split(flat, list(self.numels))
        return {n: t.view(s) for n, t, s in zip(self.names, pieces, self.shapes, strict=True)}

    def logits(self, flat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Logits of the model with parameters `flat` on inputs x."""
        return functional_call(self.model, (self.unflatten(flat), self.buffers), (x,))

    def loss(self, flat: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean loss (cross-entropy unless told otherwise) on (x, y)."""
        return self.criterion(self.logits(flat, x), y)

    def chunks(self) -> list[tuple[torch.Tensor, torch.Tensor, float]]:
        """(x, y, weight) pieces of the data; weights sum to 1."""
        n = self.count
        return [
            (self.x[i : i + self.chunk], self.y[i : i + self.chunk], min(self.chunk, n - i) / n)
            for i in range(0, n, self.chunk)
        ]

    def hvp(self, vectors: torch.Tensor) -> torch.Tensor:
        """H·v for each row of `vectors` (B, P), forward-over-reverse, vmapped over the rows."""
        vectors = vectors * self.alive
        grad_fn = grad(self.loss)

        def one(v: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return jvp(lambda t: grad_fn(t, x, y), (self.theta,), (v,))[1]

        out = torch.zeros_like(vectors)
        with torch.no_grad():
            for x, y, weight in self.chunks():
                out += weight * vmap(one, in_dims=(0, None, None))(vectors, x, y)
        return out * self.alive

    def operator(self, block: int = 8) -> Callable[[torch.Tensor], torch.Tensor]:
        """H as a function of (B, P) or (P,) vectors, at most `block` products at a time."""

        def apply(v: torch.Tensor) -> torch.Tensor:
            if v.dim() == 1:
                return self.hvp(v[None])[0]
            return torch.cat([self.hvp(v[i : i + block]) for i in range(0, v.shape[0], block)])

        return apply
