"""ε-perturbation flatness (method-later §2.4, §6.6, §6.8): test loss and accuracy at w* + ε·vᵢ, and ε*.

The perturbed models are never written into the module: each is a flat parameter vector evaluated with
`functional_call`, several at once through `vmap` ("stacked", on a GPU), or one at a time through a private
BN-folded, channels-last copy (on a CPU, when that copy checks out), so the trained weights stay untouched.
The ε = 0 entry is evaluated once, by the same forward as the others, and shared by every direction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import vmap

from gst.engine.flatness.folded import FoldedForward, score
from gst.engine.flatness.hvp import FlatLoss
from gst.engine.spec.specs import PARITY_EPS

__all__ = ["PARITY_EPS", "PerturbationTable", "eps_star", "perturbation_table"]

THRESHOLD = 0.1  # Δ test loss that defines ε*

Batches = Callable[[], Iterable[tuple[torch.Tensor, torch.Tensor]]]
Single = Callable[[torch.Tensor], tuple[float, float]]  # one parameter vector -> (mean CE, top-1 %)


@dataclass(frozen=True)
class PerturbationTable:
    """Test loss and top-1 % per (direction i, ε); rows follow the eigenvector order, columns `eps`."""

    eps: tuple[float, ...]
    loss: np.ndarray  # (vectors, len(eps))
    acc: np.ndarray  # (vectors, len(eps))
    base_loss: float  # the ε = 0 evaluation (Δ is measured against it, §6.6)
    base_acc: float
    evaluations: int  # full test passes spent (model-passes, stacked or not)


def evaluate_many(f: FlatLoss, thetas: torch.Tensor, batches: Batches) -> tuple[np.ndarray, np.ndarray]:
    """Mean CE and top-1 % of each parameter vector (M, P) over the batches, all M models per batch."""
    forward = vmap(f.logits, in_dims=(0, None))
    loss = torch.zeros(thetas.shape[0], dtype=torch.float64, device=thetas.device)
    correct = torch.zeros(thetas.shape[0], dtype=torch.long, device=thetas.device)
    n = 0
    with torch.inference_mode():
        for x, y in batches():
            logits = forward(thetas, x)  # (M, B, 10)
            ce = F.cross_entropy(logits.flatten(0, 1).float(), y.repeat(thetas.shape[0]), reduction="none")
            loss += ce.view(thetas.shape[0], -1).double().sum(1)
            correct += (logits.argmax(2) == y).sum(1)
            n += int(y.numel())
    return (loss / n).cpu().numpy(), (100.0 * correct.double() / n).cpu().numpy()


def evaluate_one(f: FlatLoss, theta: torch.Tensor, batches: Batches) -> tuple[float, float]:
    """Mean CE and top-1 % of one parameter vector, without vmap (the unperturbed reference)."""
    return score(lambda x: f.logits(theta, x), batches())


def perturbation_table(
    f: FlatLoss,
    vectors: torch.Tensor,
    eps: tuple[float, ...],
    batches: Batches,
    stack: int = 8,
    until_star: bool = False,
    threshold: float = THRESHOLD,
) -> PerturbationTable:
    """Evaluate w* + ε·vᵢ for every row vᵢ of `vectors` (masked coordinates zeroed) and every ε.

    With `until_star`, the magnitudes |ε| are visited upward, every direction and sign at each, and the scan stops
    after the first |ε| where some Δ reaches `threshold`: ε* is exactly the full grid's (it is the smallest such |ε|,
    and every smaller one was evaluated), the cells beyond it stay NaN, and a trained VGG11 needs a few dozen test
    passes instead of 810.
    """
    vectors = vectors * f.alive
    single = _single(f, batches) if stack == 1 else None
    base_loss, base_acc = single(f.theta) if single else evaluate_one(f, f.theta, batches)
    loss = np.full((vectors.shape[0], len(eps)), np.nan)
    acc = np.full((vectors.shape[0], len(eps)), np.nan)
    zero = [j for j, e in enumerate(eps) if e == 0.0]
    loss[:, zero], acc[:, zero] = base_loss, base_acc
    magnitudes = sorted({abs(e) for e in eps if e != 0.0})
    evaluations = 1
    for level in magnitudes if until_star else [None]:
        cells = [
            (i, j)
            for i in range(vectors.shape[0])
            for j, e in enumerate(eps)
            if e != 0.0 and (level is None or abs(e) == level)
        ]
        _evaluate_cells(f, vectors, eps, cells, batches, stack, single, loss, acc)
        evaluations += len(cells)
        if level is not None and max(loss[i, j] for i, j in cells) - base_loss >= threshold:
            break  # ε* = level
    return PerturbationTable(eps, loss, acc, base_loss, base_acc, evaluations)


def _single(f: FlatLoss, batches: Batches) -> Single:
    """One model per pass: the folded copy if it reproduces the functional logits, else the functional forward."""
    x, _ = next(iter(batches()))
    folded = FoldedForward.checked(f, x)
    if folded is not None:
        return lambda theta: folded.evaluate(theta, batches())
    return lambda theta: evaluate_one(f, theta, batches)


def _evaluate_cells(
    f: FlatLoss,
    vectors: torch.Tensor,
    eps: tuple[float, ...],
    cells: list[tuple[int, int]],
    batches: Batches,
    stack: int,
    single: Single | None,
    loss: np.ndarray,
    acc: np.ndarray,
) -> None:
    """Fill loss/acc at the (direction, ε index) cells, `stack` perturbed models per pass (or `single`)."""
    for start in range(0, len(cells), stack):
        part = cells[start : start + stack]
        steps = torch.tensor([eps[j] for _, j in part], dtype=f.theta.dtype, device=f.theta.device)
        rows = torch.tensor([i for i, _ in part], device=vectors.device)
        thetas = f.theta + steps[:, None] * vectors[rows]  # (M, P)
        if single is not None:  # a CPU gains nothing from stacking; skip vmap's overhead
            lo, ac = single(thetas[0])
            part_loss, part_acc = np.array([lo]), np.array([ac])
        else:
            part_loss, part_acc = evaluate_many(f, thetas, batches)
        for (i, j), lo, ac in zip(part, part_loss, part_acc, strict=True):
            loss[i, j], acc[i, j] = lo, ac


def eps_star(eps: tuple[float, ...], delta: np.ndarray, threshold: float = THRESHOLD) -> float:
    """min{|ε| : max over directions and signs of Δ(i, ±ε) ≥ threshold} on the grid (§2.4); NaN if none.

    NaN cells are not evaluated (an `until_star` scan); a magnitude with none evaluated ends the search.
    """
    magnitudes = np.abs(np.asarray(eps, dtype=np.float64))
    for m in sorted({round(float(v), 10) for v in magnitudes if v > 0}):
        columns = np.isclose(magnitudes, m, rtol=0, atol=1e-12)
        cells = delta[:, columns]
        if np.isnan(cells).all():  # an until-star scan stopped before this |ε|
            break
        if np.nanmax(cells) >= threshold:
            return m
    return float("nan")
