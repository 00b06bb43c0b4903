"""Renders a sweep analysis: per-arm table with CIs, the instability-accuracy correlation, and the paper's claim."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gst.engine.analysis.sweep_stats import (
    GAP_LABELS,
    INSTABILITY_LABELS,
    Correlation,
    Interval,
    SweepAnalysis,
    iterative_percent,
    method_label,
)
from gst.tui.report.cells import cell, clean
from gst.tui.report.sweep_data import StoredSweep
from gst.tui.report.tables import HEADING_CHARS, Col, rows_table, title_text

INSTABILITY_LABEL = {"mean_drop": "mean drop pp", "a2_drop": "A2 drop pp", "mean_stability": "Mean Stability (%)"}
GAP_LABEL = {"gap": "gap pp", "gap_at_best": "gap@best pp"}


def ci(value: Interval | None) -> str:
    """'mean [low, high]' or a dash."""
    return "-" if value is None else f"{value.mean:.2f} [{value.low:.2f}, {value.high:.2f}]"


def arm_x(stored: StoredSweep, arm: str) -> str:
    """The figure's x value of an arm: iterative % (Figs 3, A2), examples per class (Fig A3)."""
    spec = stored.specs[arm]
    figure = stored.sweep.analysis.figure
    if figure in ("fig3", "figA2"):
        x = iterative_percent(spec)
        return f"{method_label(spec)} {x:.2f}%" if x is not None else "unpruned"
    if figure == "figA3":
        return f"{method_label(spec)} n={spec.examples_per_class}{' aug' if spec.augment else ''}"
    return spec.label


def mean(value: Interval | None) -> float | None:
    """The mean of a CI, or None."""
    return None if value is None else value.mean


def span(value: Interval | None) -> str:
    """'low–high' of a CI, or a dash."""
    return "-" if value is None else f"{value.low:.2f}–{value.high:.2f}"


def fitted_table(stored: StoredSweep, analysis: SweepAnalysis, width: int) -> Table:
    """The per-arm table with means and CIs in their own columns, least important dropped to fit `width`."""
    acc = "best %" if analysis.accuracy == "best_test_acc" else "final %"
    rows = []
    for arm in analysis.arms:
        instability, gap = getattr(arm, analysis.instability), getattr(arm, analysis.gap)
        accuracy = arm.best_test_acc if analysis.accuracy == "best_test_acc" else arm.final_test_acc
        rows.append(
            {
                "arm": arm.arm, "setting": arm_x(stored, arm.arm), "n": f"{arm.n}/{arm.runs}",
                "drop": mean(instability), "drop_ci": span(instability),
                "acc": mean(accuracy), "acc_ci": span(accuracy),
                "gap": mean(gap), "gap_ci": span(gap), "events": round(arm.events_per_run),
            }
        )  # fmt: skip
    cols = [
        Col("arm", keep=True), Col("setting", drop=5), Col("n", keep=True),
        Col("drop", INSTABILITY_LABEL[analysis.instability]), Col("drop_ci", "95% CI", drop=3),
        Col("acc", acc), Col("acc_ci", "95% CI", drop=2),
        Col("gap", GAP_LABEL[analysis.gap]), Col("gap_ci", "95% CI", drop=6), Col("events", drop=4),
    ]  # fmt: skip
    return rows_table(rows, cols, title=stored.heading, width=width, title_limit=HEADING_CHARS)


def summary_renderable(stored: StoredSweep, analysis: SweepAnalysis, width: int | None = None) -> Group:
    """Rich tables and lines for `gst summary` (fitted to `width`) and the TUI (width None: one table)."""
    if width is not None:
        return Group(fitted_table(stored, analysis, width), *_lines(stored, analysis))
    acc = "best %" if analysis.accuracy == "best_test_acc" else "final %"
    title = title_text(stored.heading, HEADING_CHARS)
    table = Table(title=title, title_justify="left")
    for col in (
        "arm",
        "setting",
        "n",
        INSTABILITY_LABEL[analysis.instability],
        f"{acc} [95% CI]",
        "gap pp (train-test)" if analysis.gap == "gap" else "gap pp (train-test at the best epoch)",
        "events",
    ):
        table.add_column(col, justify="left" if col in ("arm", "setting") else "right")
    for arm in analysis.arms:
        instability, gap = getattr(arm, analysis.instability), getattr(arm, analysis.gap)
        accuracy = arm.best_test_acc if analysis.accuracy == "best_test_acc" else arm.final_test_acc
        table.add_row(
            cell(arm.arm), cell(arm_x(stored, arm.arm)), f"{arm.n}/{arm.runs}",
            ci(instability), ci(accuracy), ci(gap), f"{arm.events_per_run:.0f}",
        )  # fmt: skip
    return Group(table, *_lines(stored, analysis))


def _lines(stored: StoredSweep, analysis: SweepAnalysis) -> list[Text]:
    lines = []
    c = analysis.correlation
    if c is None:
        lines.append(Text("correlation: needs at least 3 completed pruned runs with spread", style="dim"))
    else:
        lines.append(
            Text(
                f"{correlation_subject(analysis)}: Pearson r = {c.pearson_r:.3f} (p = {c.pearson_p:.2g}), Kendall τ = {c.kendall_tau:.3f} (p = {c.kendall_p:.2g}), n = {c.n}"
            )
        )
    for name, group in analysis.groups.items():  # named correlation samples, e.g. one per architecture
        lines.append(Text(clean(f"{name}: " + group_text(group)), style="" if group else "dim"))
    for pair, test in analysis.welch.items():
        lines.append(
            Text(
                f"event drops {clean(pair)}: Welch t = {test.t:.2f}, p = {test.p:.2g}, d = {test.cohen_d:.2f} (n = {test.n_a}, {test.n_b})",
                style="dim",
            )
        )
    if stored.diverged:
        ids = ", ".join(stored.diverged[:3]) + (", …" if len(stored.diverged) > 3 else "")
        lines.append(
            Text(
                clean(
                    f"diverged: {len(stored.diverged)} run(s) whose loss became NaN or infinite, left out of n: {ids}"
                ),
                style="yellow",
            )
        )
    if stored.sweep.expect:
        lines.append(Text(f"paper: {clean(stored.sweep.expect)}", style="italic"))
    return lines


def correlation_subject(analysis: SweepAnalysis) -> str:
    """What the main correlation relates, named as the figure names it."""
    if analysis.instability == "mean_stability":
        accuracy = "best" if analysis.accuracy == "best_test_acc" else "final"
        return f"Mean Stability (%) vs {accuracy} test accuracy over the correlation sample (lower = less stable)"
    return "instability vs accuracy over pruned runs"


def group_text(c: Correlation | None) -> str:
    """One line for a named correlation sample."""
    if c is None:
        return "correlation needs at least 3 completed pruned runs with spread"
    return f"Pearson r = {c.pearson_r:.3f} (p = {c.pearson_p:.2g}), Kendall τ = {c.kendall_tau:.3f} (p = {c.kendall_p:.2g}), n = {c.n}"


def summary_json(stored: StoredSweep, analysis: SweepAnalysis) -> dict[str, Any]:
    """The `gst summary --json` document."""
    return {
        "sweep_id": stored.sweep_id,
        "preset": stored.sweep.name,
        "instability": analysis.instability,
        "instability_label": INSTABILITY_LABELS[analysis.instability],
        "accuracy": analysis.accuracy,
        "gap": analysis.gap,
        "gap_label": GAP_LABELS[analysis.gap],
        "arms": [
            {**asdict(a), "method": method_label(stored.specs[a.arm]), "setting": arm_x(stored, a.arm)}
            for a in analysis.arms
        ],
        "correlation": None if analysis.correlation is None else asdict(analysis.correlation),
        "welch": {k: asdict(v) for k, v in analysis.welch.items()},
        "groups": {k: None if v is None else asdict(v) for k, v in analysis.groups.items()},
        "runs": [asdict(r) for r in analysis.runs],
        "diverged": list(stored.diverged),
        "expect": stored.sweep.expect,
    }
