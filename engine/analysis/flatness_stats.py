"""Run-level flatness statistics for `gst summary` (method-later §2.7): stability, curvature, noise, ε*, TIC.

Each pair gets Pearson r and Kendall τ with p-values and seeded percentile-bootstrap 95% CIs over runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from gst.engine.analysis.sweep_stats import N_BOOT

MEASURES = {"eig_sum": "Hessian top-k sum", "grad_sq_trace": "Tr C", "eps_star": "eps*", "tic": "TIC"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PairCorrelation:
    """Pearson and Kendall between two run-level variables, with bootstrap 95% CIs."""

    x: str
    y: str
    n: int
    missing: int  # runs left out because x or y is missing (e.g. ε* never reached)
    pearson_r: float
    pearson_ci: tuple[float, float]
    pearson_p: float
    kendall_tau: float
    kendall_ci: tuple[float, float]
    kendall_p: float


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def correlate_with_ci(
    x: str, y: str, points: Sequence[dict[str, float | None]], n_boot: int = N_BOOT, seed: int = 0
) -> PairCorrelation | None:
    """r and τ over the points that have both values; None with fewer than 3 such points or no spread."""
    pairs = [(p[x], p[y]) for p in points if _finite(p.get(x)) and _finite(p.get(y))]
    xs = np.array([a for a, _ in pairs], dtype=float)
    ys = np.array([b for _, b in pairs], dtype=float)
    if xs.size < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, xs.size, (n_boot, xs.size))  # one resample of the runs per row
    bx, by = xs[idx], ys[idx]
    dx, dy = bx - bx.mean(1, keepdims=True), by - by.mean(1, keepdims=True)
    spread = np.sqrt((dx**2).sum(1) * (dy**2).sum(1))
    ok = spread > 0
    boot_r = list((dx * dy).sum(1)[ok] / spread[ok])
    boot_tau = [stats.kendalltau(a, b).statistic for a, b in zip(bx[ok], by[ok], strict=True)]
    pearson, kendall = stats.pearsonr(xs, ys), stats.kendalltau(xs, ys)

    def interval(values: list[float]) -> tuple[float, float]:
        clean = [v for v in values if math.isfinite(v)]
        if not clean:
            return (math.nan, math.nan)
        return (float(np.percentile(clean, 2.5)), float(np.percentile(clean, 97.5)))

    return PairCorrelation(
        x=x,
        y=y,
        n=int(xs.size),
        missing=len(points) - int(xs.size),
        pearson_r=float(pearson.statistic),
        pearson_ci=interval(boot_r),
        pearson_p=float(pearson.pvalue),
        kendall_tau=float(kendall.statistic),
        kendall_ci=interval(boot_tau),
        kendall_p=float(kendall.pvalue),
    )


def flatness_correlations(points: Sequence[dict[str, float | None]]) -> list[PairCorrelation]:
    """Stability vs each measure, then each measure vs best test accuracy (pairs without data are skipped)."""
    pairs = [("stability", m) for m in MEASURES] + [(m, "best_test_acc") for m in MEASURES]
    found = [correlate_with_ci(x, y, points) for x, y in pairs]
    return [c for c in found if c is not None]
