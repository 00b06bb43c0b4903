"""Later Fig 6 and Figs E1, E3-E5 (method-later §2.7): one point per run, Pearson r, Kendall τ, OLS line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gst.engine.analysis.sweep_stats import SweepAnalysis, correlate  # noqa: E402
from gst.engine.spec.errors import GstError  # noqa: E402
from gst.store import queries_flatness  # noqa: E402
from gst.tui.report.flatness_view import flatness_points  # noqa: E402
from gst.tui.report.sweep_data import StoredSweep  # noqa: E402

LABELS = {
    "stability": "Mean Stability (%)", "best_test_acc": "Best Test Accuracy (%)", "eig_sum": "Curvature: Hessian top-k sum",
    "grad_sq_trace": "Noise: Tr C", "eps_star": "ε*", "tic": "TIC: Tr C / Tr H_k",
}  # fmt: skip


def _points(stored: StoredSweep, db: Path) -> list[dict[str, Any]]:
    points = flatness_points(stored, db)
    if not points:
        raise GstError(f"sweep {stored.sweep_id} has no flatness rows (add a [flatness] section to the preset)")
    return points


def scatter(ax: Axes, points: list[dict[str, Any]], x: str, y: str, arms: list[str]) -> None:
    """Run-level scatter coloured by arm, with r, τ and the least-squares line over runs having both values."""
    cmap = plt.get_cmap("tab10")
    for i, arm in enumerate(arms):
        mine = [p for p in points if p["arm"] == arm and p.get(x) is not None and p.get(y) is not None]
        ax.scatter([p[x] for p in mine], [p[y] for p in mine], s=14, color=cmap(i % 10), label=arm)
    both = [p for p in points if p.get(x) is not None and p.get(y) is not None]
    c = correlate([p[x] for p in both], [p[y] for p in both])
    if c is not None:
        xs = np.linspace(min(p[x] for p in both), max(p[x] for p in both), 2)
        ax.plot(xs, c.slope * xs + c.intercept, "k--", lw=0.8)
        ax.set_title(f"r = {c.pearson_r:.2f}, τ = {c.kendall_tau:.2f}, n = {c.n}", fontsize=8)
    ax.set_xlabel(LABELS.get(x, x), fontsize=8)
    ax.set_ylabel(LABELS.get(y, y), fontsize=8)


def draw_later_fig6(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """(a) curvature vs stability, (b) accuracy vs curvature, (c) Tr C vs stability, (d) accuracy vs Tr C."""
    points = _points(stored, db)
    fig, axes = plt.subplots(2, 2, figsize=(9, 7.5))
    pairs = [("stability", "eig_sum"), ("eig_sum", "best_test_acc"), ("stability", "grad_sq_trace"),
             ("grad_sq_trace", "best_test_acc")]  # fmt: skip
    for ax, (x, y) in zip(axes.flat, pairs, strict=True):
        scatter(ax, points, x, y, stored.arm_order)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_later_figE(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """E1 top-10 eigenvalues per arm, E2 eigenvalue and |λ| vs rank, E3 ε* panels, E5 TIC panels, E6 accuracy vs
    stability over every arm; on the right, E4: Δ test loss vs ε (|ε| < 0.13) along eigenvectors 0-8, a mean line
    per arm in each panel."""
    points = _points(stored, db)
    fig = plt.figure(figsize=(22, 11), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.5, 1], squeeze=False)[0]
    axes = left.subplots(3, 3)
    arms = stored.arm_order
    colour = plt.get_cmap("tab10")
    e1 = axes[0, 0]
    for i, arm in enumerate(arms):
        tops = [p["eigenvalues"][:10] for p in points if p["arm"] == arm]
        if tops:
            width = min(len(t) for t in tops)
            mean = np.mean([t[:width] for t in tops], axis=0)
            e1.bar(np.arange(width) + i / (len(arms) + 1), mean, width=1 / (len(arms) + 1), label=arm)
    e1.set_xlabel("eigenvalue rank", fontsize=8)
    e1.set_ylabel("λ (mean over runs)", fontsize=8)
    e1.legend(fontsize=6)
    scatter(axes[0, 1], points, "stability", "eps_star", arms)
    scatter(axes[0, 2], points, "eps_star", "best_test_acc", arms)
    scatter(axes[1, 1], points, "stability", "tic", arms)
    scatter(axes[1, 2], points, "tic", "best_test_acc", arms)
    for ax, key, label in ((axes[2, 0], lambda v: v, "λ"), (axes[1, 0], abs, "|λ|")):
        for i, arm in enumerate(arms):
            spectra = [sorted(p["eigenvalues"], key=abs, reverse=True) for p in points if p["arm"] == arm]
            if spectra:
                width = min(len(v) for v in spectra)
                mean = np.mean([[key(x) for x in v[:width]] for v in spectra], axis=0)
                ax.plot(range(width), mean, color=colour(i % 10))
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("rank by |λ|", fontsize=8)
        ax.set_ylabel(f"{label} (mean over runs)", fontsize=8)
    scatter(axes[2, 1], points, "stability", "best_test_acc", arms)
    axes[2, 2].axis("off")
    _draw_e4(right.subplots(3, 3, sharex=True), points, arms, db)
    right.suptitle("E4: Δ test loss along eigenvectors 0-8", fontsize=9)
    return fig


def _draw_e4(panels: np.ndarray, points: list[dict[str, Any]], arms: list[str], db: Path) -> None:
    """One panel per eigenvector 0-8: per arm, the mean over runs of Δ test loss at each ε (|ε| < 0.13)."""
    rows = queries_flatness.perturbation(db, [p["run_id"] for p in points])
    base = {(r["run_id"], r["epoch"]): r["test_loss"] for r in rows if r["eps"] == 0 and r["vec_index"] == 0}
    arm_of = {p["run_id"]: p["arm"] for p in points}
    curves: dict[tuple[int, str], dict[float, list[float]]] = {}
    for r in rows:
        key = (r["run_id"], r["epoch"])
        if r["vec_index"] < 9 and abs(r["eps"]) < 0.13 and key in base and r["run_id"] in arm_of:
            cell = curves.setdefault((r["vec_index"], arm_of[r["run_id"]]), {})
            cell.setdefault(r["eps"], []).append(r["test_loss"] - base[key])
    for vec, ax in enumerate(panels.flat):
        for i, arm in enumerate(arms):
            by_eps = curves.get((vec, arm))
            if by_eps:
                eps = sorted(by_eps)
                ax.plot(eps, [np.mean(by_eps[e]) for e in eps], color=plt.get_cmap("tab10")(i % 10), label=arm)
        ax.set_title(f"eigenvector {vec}", fontsize=8)
        ax.tick_params(labelsize=7)
        if not ax.lines:
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes, fontsize=8)
    panels[2, 1].set_xlabel("ε", fontsize=8)
    panels[1, 0].set_ylabel("Δ test loss", fontsize=8)
    if panels[0, 0].lines:
        panels[0, 0].legend(fontsize=6)
