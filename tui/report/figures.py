"""Paper-style figures for a stored sweep (matplotlib, headless): one PNG and one PDF per sweep."""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from gst.engine.analysis.sweep_stats import SweepAnalysis, drop_curve, iterative_percent, mean_curve, method_label  # noqa: E402
from gst.engine.spec.errors import GstError  # noqa: E402
from gst.store import queries  # noqa: E402
from gst.tui.report.cells import cap  # noqa: E402
from gst.tui.report.sweep_data import StoredSweep  # noqa: E402
from gst.tui.report.tables import NOTE_CHARS, override_notes  # noqa: E402

Drawer = Callable[[StoredSweep, SweepAnalysis, Path], Figure]


def draw(stored: StoredSweep, db: Path, out_dir: Path) -> list[Path]:
    """Write `<preset>-<sweep_id>.png` and `.pdf` for the preset's figure style; returns the paths."""
    if not any(r.epochs for r in stored.records):
        raise GstError(f"sweep {stored.sweep_id} has no measured epochs yet; nothing to draw")
    figure_kind = stored.sweep.analysis.figure
    if figure_kind in ("later_fig6", "later_figE"):
        from gst.tui.report import flatness_figures

        DRAWERS[figure_kind] = getattr(flatness_figures, f"draw_{figure_kind}")
    drawer = DRAWERS.get(figure_kind, draw_curves)
    with warnings.catch_warnings():  # library warnings (empty legends, fonts) are not the user's business
        warnings.simplefilter("ignore")
        return _save(drawer(stored, stored.analyze(), db), stored, out_dir)


def _save(fig: Figure, stored: StoredSweep, out_dir: Path) -> list[Path]:
    fig.suptitle(figure_title(stored), fontsize=9)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{stored.sweep.name}-{stored.sweep_id}"
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for path in paths:
        fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return paths


def figure_title(stored: StoredSweep) -> str:
    """The preset's title and sweep id, then (wrapped) the --set overrides, test subset and lacking arms."""
    notes = override_notes(stored.row) + stored.notes()
    lines = [f"{cap(stored.sweep.title)}  [sweep {stored.sweep_id}]"]
    lines += textwrap.wrap(cap("; ".join(notes), NOTE_CHARS), 110) if notes else []
    return "\n".join(lines)


def _colors(arms: list[str]) -> dict[str, tuple[float, float, float, float]]:
    cmap = plt.get_cmap("tab10" if len(arms) <= 10 else "tab20")
    return {arm: cmap(i % cmap.N) for i, arm in enumerate(arms)}


def accuracy_curves(ax: Axes, stored: StoredSweep, key: str = "test_acc", mark_events: bool = True) -> None:
    """Mean curve per arm with its 95% bootstrap band; pruning moments marked on the curve."""
    colors = _colors(stored.arm_order)
    for arm in stored.arm_order:
        records = [r for r in stored.records if r.arm == arm and r.epochs]
        epochs, bands = mean_curve(records, key)
        if not epochs:
            continue
        means = np.array([b.mean for b in bands])
        train = key == "train_acc"
        ax.plot(
            epochs,
            means,
            ":" if train else "-",
            color=colors[arm],
            lw=1.2,
            label=None if train else f"{arm} (n={len(records)})",
        )
        ax.fill_between(epochs, [b.low for b in bands], [b.high for b in bands], color=colors[arm], alpha=0.2, lw=0)
        moments = sorted({e for r in records for e, _, _ in r.events} & set(epochs))
        if mark_events and moments:
            ax.plot(moments, means[[epochs.index(m) for m in moments]], "v", ms=3, color=colors[arm])
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("test accuracy (%)" if key == "test_acc" else "train accuracy (%)")
    ax.legend(fontsize=7)


def instability_axis(key: str) -> str:
    """The axis label of an instability measure, with the side that is less stable."""
    return {
        "mean_drop": "mean drop in test accuracy (pp); right = less stable",
        "a2_drop": "drop after the last pruning event (pp)",
        "mean_stability": "Mean Stability (%); left = less stable",
    }[key]


def instability_scatter(ax: Axes, stored: StoredSweep, analysis: SweepAnalysis) -> None:
    """Per-run instability vs accuracy, per-arm means with 95% CIs, the regression line, r and p."""
    colors = _colors(stored.arm_order)
    key = analysis.instability
    for arm in analysis.arms:
        runs = [s for s in analysis.runs if s.arm == arm.arm and getattr(s, key) is not None]
        if not runs:
            continue
        xs, ys = [getattr(s, key) for s in runs], [getattr(s, analysis.accuracy) for s in runs]
        ax.scatter(xs, ys, s=12, alpha=0.6, color=colors[arm.arm], label=arm.arm)
        ix = getattr(arm, key)
        iy = arm.best_test_acc if analysis.accuracy == "best_test_acc" else arm.final_test_acc
        if ix is not None and iy is not None:
            ax.errorbar(
                ix.mean,
                iy.mean,
                xerr=[[ix.mean - ix.low], [ix.high - ix.mean]],
                yerr=[[iy.mean - iy.low], [iy.high - iy.mean]],
                fmt="s",
                color=colors[arm.arm],
                ms=6,
                mec="black",
                capsize=2,
            )
    c = analysis.correlation
    if c is not None:
        ends = np.array(ax.get_xlim())
        ax.plot(ends, c.slope * ends + c.intercept, "k--", lw=1)
        ax.text(
            0.02, 0.02, f"r = {c.pearson_r:.2f}, p = {c.pearson_p:.2g}, n = {c.n}", transform=ax.transAxes, fontsize=8
        )
    ax.set_xlabel(instability_axis(key))
    ax.set_ylabel(("final" if analysis.accuracy == "final_test_acc" else "best") + " test accuracy (%)")
    ax.legend(fontsize=7)


def draw_fig1(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Left: positive-only mean drop per pruning epoch; right: instability vs accuracy."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = _colors(stored.arm_order)
    for arm in stored.arm_order:
        curve = drop_curve([r for r in stored.records if r.arm == arm and r.completed], positive_only=True)
        if curve:
            left.plot(
                list(curve),
                list(curve.values()),
                ".",
                ms=4,
                color=colors[arm],
                label=f"{arm} ({stored.specs[arm].label})",
            )
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_ylabel("mean positive drop (pp)")
    left.legend(fontsize=7)
    instability_scatter(right, stored, analysis)
    return fig


def draw_fig2(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Test accuracy during training, mean and 95% bootstrap band per arm."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    accuracy_curves(ax, stored)
    return fig


def draw_rate_sweep(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Figs 3 and A2: instability and accuracy against the iterative pruning percentage, per method."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    by_method: dict[str, list[tuple[float, object]]] = {}
    for arm in analysis.arms:
        x = iterative_percent(stored.specs[arm.arm])
        if x is not None and arm.n:
            by_method.setdefault(method_label(stored.specs[arm.arm]), []).append((x, arm))
    colors = _colors(list(by_method))
    for method, points in by_method.items():
        points.sort(key=lambda p: p[0])
        xs = [p[0] for p in points]
        for ax, getter in (
            (left, lambda a: getattr(a, analysis.instability)),
            (right, lambda a: a.final_test_acc),
        ):
            values = [getter(p[1]) for p in points]
            keep = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
            if keep:
                ax.errorbar([k[0] for k in keep], [k[1].mean for k in keep], yerr=[[k[1].mean - k[1].low for k in keep], [k[1].high - k[1].mean for k in keep]],
                            marker="o", ms=4, capsize=2, color=colors[method], label=method)  # fmt: skip
    for ax, label in (
        (left, instability_axis(analysis.instability)),
        (right, "final test accuracy (%)"),
    ):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("iterative pruning % of the most-pruned layer")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    return fig


def draw_figA3(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Test accuracy and generalization gap vs examples per class; train/test curves on the largest level."""
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.2))
    groups: dict[tuple[str, bool], list[tuple[int, object]]] = {}
    for arm in analysis.arms:
        spec = stored.specs[arm.arm]
        if arm.n:
            groups.setdefault((method_label(spec), spec.augment), []).append((spec.examples_per_class, arm))
    colors = _colors(sorted({m for m, _ in groups}))
    for (method, aug), points in groups.items():
        points.sort(key=lambda p: p[0])
        style = "--" if aug else "-"
        for ax, attr in ((left, "final_test_acc"), (middle, analysis.gap)):
            values = [(x, getattr(a, attr)) for x, a in points if getattr(a, attr) is not None]
            ax.errorbar([v[0] for v in values], [v[1].mean for v in values], yerr=[[v[1].mean - v[1].low for v in values], [v[1].high - v[1].mean for v in values]],
                        ls=style, marker="o", ms=4, capsize=2, color=colors[method], label=f"{method}{' +aug' if aug else ''}")  # fmt: skip
    for ax, label in ((left, "test accuracy (%)"), (middle, "generalization gap, train - test (pp)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("examples per class")
        ax.set_ylabel(label)
        ax.legend(fontsize=6)
    measured = {r.arm for r in stored.records if r.epochs}
    if not measured:
        right.text(0.5, 0.5, "no run has measured epochs yet", ha="center", va="center", transform=right.transAxes)
        return fig
    largest, no_aug = max((stored.specs[a].examples_per_class, not stored.specs[a].augment) for a in measured)
    shown = [
        a for a in measured if (stored.specs[a].examples_per_class, not stored.specs[a].augment) == (largest, no_aug)
    ]
    subset = StoredSweep(
        row=stored.row, sweep=stored.sweep, records=[r for r in stored.records if r.arm in shown], specs=stored.specs
    )
    accuracy_curves(right, subset, "test_acc")
    accuracy_curves(right, subset, "train_acc", mark_events=False)
    right.set_ylabel("accuracy (%): train dotted, post-pruning test solid")
    most = max(s.examples_per_class for s in stored.specs.values())
    note = "" if largest == most else f" (largest level measured; {most} has no runs yet)"
    right.set_title(f"{largest} examples per class, {'no ' if no_aug else ''}augmentation{note}", fontsize=8)
    return fig


def draw_figA1(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Histograms of BN-normalised activations against the N(0, 1) pdf: layers down, probe epochs across."""
    ids = [r.run_id for r in stored.records]
    rows = queries.bn_activations(db, ids)
    if not rows:
        raise GstError(f"sweep {stored.sweep_id} has no BN probes (set bn_probe_epochs in the preset)")
    run_id = rows[0]["run_id"]
    rows = [r for r in rows if r["run_id"] == run_id]
    epochs = sorted({r["epoch"] for r in rows})
    layers = sorted({r["layer"] for r in rows}, key=lambda name: int(name[2:]))
    fig, axes = plt.subplots(
        len(layers), len(epochs), figsize=(2.6 * len(epochs), 1.3 * len(layers)), sharex=True, squeeze=False
    )
    grid = np.linspace(-5, 5, 400)
    pdf = np.exp(-(grid**2) / 2) / np.sqrt(2 * np.pi)
    for r in rows:
        ax = axes[layers.index(r["layer"])][epochs.index(r["epoch"])]
        edges = np.array(r["bin_edges"])
        ax.bar(edges[:-1], r["density"], width=np.diff(edges), align="edge", color="tab:blue", alpha=0.7)
        ax.plot(grid, pdf, color="tab:orange", lw=1)
        ax.text(0.02, 0.8, f"{r['layer']} KS={r['ks_distance']:.3f}", transform=ax.transAxes, fontsize=6)
        ax.set_yticks([])
    for j, epoch in enumerate(epochs):
        axes[0][j].set_title("untrained" if epoch == 0 else f"after {epoch} epochs", fontsize=8)
    return fig


def draw_curves(stored: StoredSweep, analysis: SweepAnalysis, db: Path) -> Figure:
    """Default: accuracy curves, drop per pruning epoch, and instability vs accuracy."""
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.2))
    accuracy_curves(left, stored)
    colors = _colors(stored.arm_order)
    for arm in stored.arm_order:
        curve = drop_curve([r for r in stored.records if r.arm == arm])
        if curve:
            middle.plot(list(curve), list(curve.values()), "o-", ms=3, color=colors[arm], label=arm)
    middle.set_xlabel("epoch")
    middle.xaxis.set_major_locator(MaxNLocator(integer=True))
    middle.set_ylabel("mean drop at pruning (pp)")
    if middle.lines:
        middle.legend(fontsize=7)
    instability_scatter(right, stored, analysis)
    return fig


DRAWERS: dict[str, Drawer] = {
    "fig1": draw_fig1,
    "fig2": draw_fig2,
    "fig3": draw_rate_sweep,
    "figA2": draw_rate_sweep,
    "figA3": draw_figA3,
    "figA1": draw_figA1,
    "curves": draw_curves,
}

from gst.tui.report.figures_later import LATER_DRAWERS  # noqa: E402  (it builds on the helpers above)

DRAWERS.update(LATER_DRAWERS)
