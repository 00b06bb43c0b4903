"""Top-k eigenpairs (largest |λ|) of a symmetric operator given only as products (method-later §2.3, §6.4-6.5).

`power_parity` is the authors' deflated power iteration step for step; `lanczos` is Lanczos with full
reorthogonalisation, stopped when every wanted Ritz pair's residual estimate is below `tol`. Both return
eigenvalues sorted algebraically descending (largest by magnitude chosen first, §6.5), the eigenvectors as
one (k, P) tensor on the operator's device, the relative residuals ‖Hv − λv‖/|λ|, and steps used. Residuals
are true ones (one product per pair), except that `lanczos` may check only the leading `explicit` pairs and
give the rest as its own estimate |β_m·s_mi|/|θ_i|, which full reorthogonalisation keeps accurate: 90 of
k = 100 products saved, the pairs that feed the ε-table still checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

Operator = Callable[[torch.Tensor], torch.Tensor]  # (B, P) -> (B, P), or (P,) -> (P,)
METHODS = ("lanczos", "power_parity")
EXPLICIT = 10  # Lanczos pairs given a true residual by default: the top ten that the accuracy goal names
# A pair whose relative residual is above this is not known to be an eigenpair: some eigenvalue lies within
# residual·|λ| of λ, so above 0.1 the value may be more than 10% off any of them. Stored rows count such pairs.
RESIDUAL_BOUND = 0.1


def unresolved(residuals: torch.Tensor) -> int:
    """How many pairs have a relative residual above `RESIDUAL_BOUND` (or none at all: NaN)."""
    return int((~(residuals <= RESIDUAL_BOUND)).sum())


@dataclass(frozen=True)
class Eigenpairs:
    """k eigenpairs sorted by value, descending; `products` counts operator products spent on them."""

    values: torch.Tensor  # (k,) float64, CPU
    vectors: torch.Tensor  # (k, P), unit rows, on the operator's device
    residuals: torch.Tensor  # (k,) float64 ‖Hv − λv‖ / |λ|
    steps: tuple[int, ...]  # per pair: power steps, or the Lanczos basis size shared by all
    products: int  # operator products, residual check included
    checked: int  # the leading pairs (sorted order) whose residual is a true product; the rest are estimates


def sort_pairs(values: torch.Tensor, vectors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sort algebraically descending (§2.3): (values, vectors, order)."""
    order = torch.argsort(values, descending=True, stable=True)
    return values[order], vectors[order.to(vectors.device)], order


def residuals(op: Operator, values: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """‖Hv − λv‖ / |λ| per pair, with the undeflated operator (all pairs in one batched call)."""
    hv = op(vectors)
    lam = values.to(vectors.device, vectors.dtype)[:, None]
    num = torch.linalg.vector_norm((hv - lam * vectors).double(), dim=1).cpu()
    return num / values.abs().clamp_min(torch.finfo(torch.float64).tiny)


def power_parity(
    op: Operator,
    size: int,
    k: int,
    *,
    steps: int = 20,
    tol: float = 1e-4,
    generator: torch.Generator | None = None,
    mask: torch.Tensor | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> Eigenpairs:
    """Deflated power iteration exactly as hessian_eigenthings' `power_iter` (§2.3), seeded.

    Pair j starts from U[0,1) (j = 0, not normalised) or from pair j-1's vector, runs at most `steps`
    products of the deflated operator H − Σ λᵢvᵢvᵢᵀ, and stops when |λ̂ − λ̂_prev|/|λ̂| < tol
    (λ̂_prev = 0 on the first step); a pair that does not converge is kept.
    """
    vecs = torch.zeros(k, size, device=device, dtype=dtype)
    vals = torch.zeros(k, dtype=torch.float64)
    used: list[int] = []
    v = torch.rand(size, generator=generator, dtype=dtype).to(device)
    if mask is not None:
        v = v * mask
    for j in range(k):
        if j > 0:
            v = vecs[j - 1].clone()
        lam, prev, n = 0.0, 0.0, 0
        for _ in range(steps):
            n += 1
            u = op(v)
            if j > 0:  # deflation: subtract λᵢ (vᵢ·v) vᵢ for the pairs found so far
                u = u - (vals[:j].to(device, dtype) * (vecs[:j] @ v)) @ vecs[:j]
            norm = float(torch.linalg.vector_norm(u))
            if norm == 0.0:  # in the operator's null space: done
                lam = 0.0
                break
            lam = float(v.double() @ u.double())
            v = u / norm
            error = 1.0 if lam == 0.0 else abs((lam - prev) / lam)
            if error < tol:
                break
            prev = lam
        vecs[j], vals[j] = v, lam
        used.append(n)
    values, vectors, order = sort_pairs(vals, vecs)
    res = residuals(op, values, vectors)
    return Eigenpairs(values, vectors, res, tuple(used[i] for i in order.tolist()), sum(used) + k, k)


def lanczos(
    op: Operator,
    size: int,
    k: int,
    *,
    max_steps: int = 0,
    tol: float = 1e-4,
    generator: torch.Generator | None = None,
    mask: torch.Tensor | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    check_every: int = 10,
    explicit: int | None = None,
) -> Eigenpairs:
    """Lanczos with full reorthogonalisation; the top-k by |θ| Ritz pairs once all their estimates are < tol.

    The residual estimate of Ritz pair i after m steps is |β_m · s_{m,i}| (exact in exact arithmetic); it is
    checked every `check_every` steps. The Krylov space lives on the alive coordinates of `mask` (all P without
    one), so the basis holds at most that many vectors, and k is cut to it; `max_steps` = 0 means
    max(3k, k + 60). The basis is kept on the device as one (m, P) tensor. The first `explicit` pairs in sorted order (all if None) get a true
    residual, one product each; the others keep the estimate.
    """
    alive = size if mask is None else int(torch.count_nonzero(mask))  # the operator's dimension
    k = min(k, alive)  # the operator has no more eigenpairs than that (the spec check refuses more)
    limit = min(alive, max_steps or max(3 * k, k + 60))
    floor = restart_threshold(dtype)
    basis = torch.zeros(limit + 1, size, device=device, dtype=dtype)
    q = torch.randn(size, generator=generator, dtype=dtype).to(device)
    if mask is not None:
        q = q * mask
    basis[0] = q / torch.linalg.vector_norm(q)
    alpha: list[float] = []
    beta: list[float] = []
    m = 0
    for m in range(1, limit + 1):
        w = op(basis[m - 1])
        alpha.append(float(basis[m - 1].double() @ w.double()))
        for _ in range(2):  # full reorthogonalisation, twice is enough (Kahan)
            w = w - (basis[:m] @ w) @ basis[:m]
        b = float(torch.linalg.vector_norm(w))
        if m == limit:
            beta.append(b)
            break
        if b <= floor * max(1e-30, *(abs(a) for a in alpha), *beta):
            # An invariant subspace (repeated eigenvalues): continue from a fresh random direction, with a
            # zero coupling, so every copy of a multiple eigenvalue is found.
            b, w = 0.0, _fresh(basis[:m], generator, mask)
            basis[m] = w
        else:
            basis[m] = w / b
        beta.append(b)
        if b > 0 and m >= k and m % check_every == 0 and _converged(alpha, beta, k, tol, dtype):
            break
    theta, s = _ritz(alpha, beta)
    top = torch.argsort(theta.abs(), descending=True)[: min(k, m)]
    vectors = (s[:, top].T.to(device, dtype) @ basis[:m]).contiguous()
    vectors = vectors / torch.linalg.vector_norm(vectors, dim=1, keepdim=True)
    values, vectors, order = sort_pairs(theta[top], vectors)
    res = _estimates(theta, s, beta[-1], top, dtype)[order]
    checked = len(values) if explicit is None else min(explicit, len(values))
    if checked:
        res[:checked] = residuals(op, values[:checked], vectors[:checked])
    return Eigenpairs(values, vectors, res, (m,) * len(values), m + checked, checked)


def restart_threshold(dtype: torch.dtype) -> float:
    """β below this times the largest |α|, β so far means an invariant subspace: √eps of the dtype (1.5e-8 in
    float64, 3.5e-4 in float32). After two reorthogonalisations a vector in the basis's span keeps a norm of
    a few eps times ‖H‖; normalising it would add a direction inside the span and, from then on, ghost
    eigenvalues, while dropping a true β this small moves the Ritz values by at most √eps·‖H‖."""
    return float(torch.finfo(dtype).eps) ** 0.5


def _fresh(basis: torch.Tensor, generator: torch.Generator | None, mask: torch.Tensor | None) -> torch.Tensor:
    """A random unit vector orthogonal to the basis (on the alive coordinates)."""
    w = torch.randn(basis.shape[1], generator=generator, dtype=basis.dtype).to(basis.device)
    if mask is not None:
        w = w * mask
    for _ in range(2):
        w = w - (basis @ w) @ basis
    return w / torch.linalg.vector_norm(w)


def _ritz(alpha: list[float], beta: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenpairs of the m x m tridiagonal matrix (float64)."""
    m = len(alpha)
    t = torch.diag(torch.tensor(alpha, dtype=torch.float64))
    if m > 1:
        off = torch.tensor(beta[: m - 1], dtype=torch.float64)
        t += torch.diag(off, 1) + torch.diag(off, -1)
    theta, s = torch.linalg.eigh(t)
    return theta, s


def _estimates(
    theta: torch.Tensor, s: torch.Tensor, last_beta: float, top: torch.Tensor, dtype: torch.dtype
) -> torch.Tensor:
    """Lanczos's relative residual estimate |β_m · s_{m,i}| / |θ_i| of the Ritz pairs `top` (float64).

    The estimate cannot see rounding: its numerator is floored at eps(dtype)·max|θ|, what an operator product
    in that dtype gets wrong, so a θ at rounding level (a zero eigenvalue) is not reported as resolved.
    """
    floor = float(torch.finfo(dtype).eps) * float(theta.abs().max())
    return (abs(last_beta) * s[-1, top].abs()).clamp_min(floor) / theta[top].abs().clamp_min(1e-300)


def _converged(alpha: list[float], beta: list[float], k: int, tol: float, dtype: torch.dtype) -> bool:
    """Whether the top-k by |θ| Ritz pairs all have estimated relative residual below tol."""
    theta, s = _ritz(alpha, beta)
    top = torch.argsort(theta.abs(), descending=True)[:k]
    return bool((_estimates(theta, s, beta[-1], top, dtype) < tol).all())


def top_eigenpairs(op: Operator, size: int, k: int, method: str, **kwargs: object) -> Eigenpairs:
    """Dispatch on the method name (`lanczos` or `power_parity`)."""
    if method == "power_parity":
        return power_parity(op, size, k, **kwargs)  # type: ignore[arg-type]  # steps/tol of the right types
    if method == "lanczos":
        return lanczos(op, size, k, **kwargs)  # type: ignore[arg-type]  # steps/tol of the right types
    raise ValueError(f"method {method!r} (allowed: {', '.join(METHODS)})")
