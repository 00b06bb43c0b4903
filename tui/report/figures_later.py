"""The later paper's figure layouts (method-later.md §1.6, §4): accuracy curves per noise panel (Figs 5, D2)
and instability against accuracy and gap per correlation sample (Figs 2, 4, B2, C3, Table C1)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gst.engine.analysis.sweep_stats import GAP_LABELS, SweepAnalysis, correlate
from gst.tui.report.figures import _colors, accuracy_curves, instability_axis
from gst.tui.report.sweep_data import StoredSweep

PANELS = {"zeroing": "Zeroing (iter)", "gaussian": "Gaussian (iter)", "zeroing_restore": "Zeroing, restored (cumu)"}


def noise_step(stored: StoredSweep, arm: str) -> str | None:
    """The arm's noise step (zeroing, gaussian, zeroing_restore); None for baselines, pruning and Prune_L."""
    prune = stored.specs[arm].prune
    if prune is None or prune.noise is None or not prune.noise.temporary:
        return None
    return prune.noise.step


def clipped(stored: StoredSweep, arms: list[str], last_epoch: int) -> StoredSweep:
    """The sweep limited to `arms` and to epochs <= last_epoch."""
    records = []
    for r in stored.records:
        if r.arm in arms:
            keep = [i for i, e in enumerate(r.epochs) if e <= last_epoch]
            records.append(
                replace(
                    r,
                    epochs=tuple(r.epochs[i] for i in keep),
                    test_acc=tuple(r.test_acc[i] for i in keep),
                    train_acc=tuple(r.train_acc[i] for i in keep),
                    events=tuple(e for e in r.events if e[0] <= last_epoch),
                )
            )
    return replace(stored, records=records)


def draw_later_curves(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Figs 5 / D2: test accuracy vs epoch, mean with 95% band, one panel per noise step; baselines and
    Prune_L in every panel. Epochs stop at E-1 (iter panels, Figure_5.py) or E-2 (restore, Figure_D2.py)."""
    steps = {arm: noise_step(stored, arm) for arm in stored.arm_order}
    panels = [s for s in PANELS if s in steps.values()] or ["none"]
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 4.6), squeeze=False)
    shared = [arm for arm, step in steps.items() if step is None]
    for ax, step in zip(axes[0], panels, strict=True):
        arms = shared + [arm for arm, s in steps.items() if s == step]
        measured = max((max(r.epochs) for r in stored.records if r.arm in arms and r.epochs), default=1)
        epochs = min(max((stored.specs[a].epochs for a in arms), default=1), measured)
        last = epochs - (2 if step == "zeroing_restore" else 1) if step != "none" else epochs
        accuracy_curves(ax, clipped(stored, arms, last))
        ax.set_title(f"{PANELS.get(step, 'test accuracy')}: epochs 1-{last}", fontsize=9)
    return fig


def scatter(ax: Axes, stored: StoredSweep, analysis: SweepAnalysis, arms: tuple[str, ...], y: str) -> None:
    """Per-run instability (x) against accuracy or gap (y) for the runs of `arms`, r and τ in the title."""
    colors = _colors(stored.arm_order)
    key = analysis.instability
    runs = [s for s in analysis.runs if s.arm in arms and getattr(s, key) is not None]
    for arm in arms:
        mine = [s for s in runs if s.arm == arm]
        if mine:
            ax.plot(
                [getattr(s, key) for s in mine], [getattr(s, y) for s in mine], "o", ms=4, color=colors[arm], label=arm
            )
    c = correlate([getattr(s, key) for s in runs], [getattr(s, y) for s in runs])
    if c is not None:
        xs = sorted(getattr(s, key) for s in runs)
        ax.plot([xs[0], xs[-1]], [c.slope * xs[0] + c.intercept, c.slope * xs[-1] + c.intercept], "k--", lw=0.8)
    ax.set_title(
        f"r = {c.pearson_r:.2f}, τ = {c.kendall_tau:.2f}, n = {c.n}" if c else "needs 3 runs with spread", fontsize=8
    )
    ax.set_xlabel(instability_axis(key))
    ax.set_ylabel(
        {"best_test_acc": "best test accuracy (%)", "final_test_acc": "final test accuracy (%)"}.get(
            y, f"train - test {GAP_LABELS.get(y, y)}"
        )
    )
    if ax.lines:
        ax.legend(fontsize=6)


def draw_later_scatter(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Figs 2 / 4 / B2 / C3: per correlation sample (e.g. per architecture), instability vs accuracy and vs gap."""
    a = stored.sweep.analysis
    groups = list(a.correlation_groups) or [("runs", a.correlation_arms or tuple(stored.arm_order))]
    fig, axes = plt.subplots(len(groups), 2, figsize=(11, 3.8 * len(groups)), squeeze=False)
    for (name, arms), (left, right) in zip(groups, axes, strict=True):
        scatter(left, stored, analysis, arms, analysis.accuracy)
        scatter(right, stored, analysis, arms, analysis.gap)
        left.set_title(f"{name}: {left.get_title()}", fontsize=8)
        right.set_title(f"{name}: {right.get_title()}", fontsize=8)
    return fig


LATER_DRAWERS = {"later_curves": draw_later_curves, "later_scatter": draw_later_scatter}
