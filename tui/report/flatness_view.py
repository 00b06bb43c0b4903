"""`gst show`'s flatness section: per measured epoch the curvature, noise, TIC and ε*, and the top eigenvalues."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from gst.engine.analysis.flatness_stats import MEASURES, flatness_correlations
from gst.engine.analysis.sweep_stats import mean_stability
from gst.store import queries_flatness
from gst.tui.report.sweep_data import StoredSweep  # imported lazily by the commands that print this view
from gst.tui.report.tables import fmt

LABELS = {"stability": "stability %", "best_test_acc": "best acc %", **MEASURES}

COLUMNS = {
    "epoch": "epoch", "method": "method", "hvps": "HVPs", "eig_sum": "Σλ", "lambda_max": "λmax",
    "grad_sq_trace": "Tr C", "grad_cov_trace_centered": "Tr C cent.", "hutchinson_trace": "Tr H",
    "tic": "TIC", "eps_star": "ε*", "test_acc": "acc %",
}  # fmt: skip


def flatness_table(rows: list[dict[str, Any]]) -> Table:
    """One line per measured epoch (`-` for a missing ε* or Tr H)."""
    table = Table(title="flatness (method-later §2)", title_justify="left")
    for label in COLUMNS.values():
        table.add_column(label, justify="left" if label == "method" else "right", no_wrap=True)
    for row in rows:
        table.add_row(*(fmt(row.get(key), 3) for key in COLUMNS))
    return table


def print_flatness(console: Console, db: Path, run_id: str) -> None:
    """Print the run's flatness rows and its top eigenvalues with their worst residual; nothing if unmeasured."""
    rows = queries_flatness.flatness(db, [run_id])
    if not rows:
        return
    console.print(flatness_table(rows))
    for row in rows:
        top = ", ".join(f"{v:.4g}" for v in row["eigenvalues"][:10])
        residuals = [r for r in row["residuals"] if r is not None]
        checked = row["residuals_checked"] if row["residuals_checked"] is not None else len(residuals)
        worst = fmt(max(residuals[:checked], default=None), 4)
        if checked < len(residuals):  # Lanczos's own estimates for the rest
            worst += f" over the top {checked}, estimated {fmt(max(residuals[checked:]), 4)} over the rest"
        console.print(
            f"epoch {row['epoch']}: top eigenvalues {top}  (k = {row['k']}, worst residual {worst})",
            highlight=False,
        )
        if row.get("unresolved"):
            console.print(
                Text(
                    f"epoch {row['epoch']}: {row['unresolved']} of {row['k']} eigenvalues are unresolved (residual "
                    f"above {row['residual_bound']:g}: not known to be eigenvalues); Σλ and TIC include them",
                    style="yellow",
                )
            )


def flatness_points(stored: StoredSweep, db: Path) -> list[dict[str, Any]]:
    """One point per measured run: arm, Mean Stability (%), best test accuracy and the flatness measures."""
    stability = {r.run_id: mean_stability(r.events) for r in stored.records}
    rows = queries_flatness.sweep_flatness(db, stored.sweep_id)
    return [{**row, "stability": stability.get(row["run_id"], 100.0)} for row in rows]


def flatness_summary(stored: StoredSweep, db: Path) -> Group | None:
    """Per-arm flatness means and the stability / accuracy correlations; None when the sweep measured none."""
    points = flatness_points(stored, db)
    if not points:
        return None
    table = Table(title="flatness per arm (mean over runs)", title_justify="left")
    for label in ("arm", "n", "stab. %", "Σλ", "Tr C", "ε*", "TIC", "no ε*", "unres."):
        table.add_column(label, justify="left" if label == "arm" else "right", no_wrap=True)
    for a in arm_means(stored, points):
        means = [a[m] for m in ("stability", *MEASURES)]
        table.add_row(
            a["arm"], str(a["n"]), *(fmt(v, 3) for v in means), str(a["eps_star_missing"]), str(a["unresolved_runs"])
        )
    lines: list[Any] = [table]
    for c in flatness_correlations(points):
        x, y = LABELS.get(c.x, c.x), LABELS.get(c.y, c.y)
        lines.append(
            Text(
                f"{x} vs {y}: r = {c.pearson_r:.3f} [{c.pearson_ci[0]:.2f}, {c.pearson_ci[1]:.2f}] (p = {c.pearson_p:.2g}), "
                f"τ = {c.kendall_tau:.3f} [{c.kendall_ci[0]:.2f}, {c.kendall_ci[1]:.2f}] (p = {c.kendall_p:.2g}), n = {c.n}"
                + (f", {c.missing} missing" if c.missing else "")
            )
        )
    if len(lines) == 1:
        lines.append(Text("flatness correlations: need at least 3 measured runs with spread", style="dim"))
    if any(p.get("unresolved") for p in points):
        lines.append(Text("unres.: runs with eigenvalues whose residual says they are not resolved", style="yellow"))
    return Group(*lines)


def flatness_json(stored: StoredSweep, db: Path) -> dict[str, Any] | None:
    """`gst summary --json`'s flatness part: per-arm means, every correlation with its CIs, and the points."""
    points = flatness_points(stored, db)
    if not points:
        return None
    keep = ("run_id", "arm", "epoch", "stability", "best_test_acc", *MEASURES, "lambda_min", "grad_cov_trace_centered",
            "unresolved")  # fmt: skip
    return {
        "arms": arm_means(stored, points),
        "correlations": [asdict(c) for c in flatness_correlations(points)],
        "runs": [{k: p.get(k) for k in keep} for p in points],
    }


def arm_means(stored: StoredSweep, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per measured arm: n, the mean of stability and each measure, and how many runs never reached ε*."""
    arms = []
    for arm in stored.arm_order:
        mine = [p for p in points if p["arm"] == arm]
        if mine:
            means = {m: _mean([p[m] for p in mine]) for m in ("stability", *MEASURES)}
            arms.append(
                {"arm": arm, "n": len(mine), **means, "eps_star_missing": sum(p["eps_star"] is None for p in mine),
                 "unresolved_runs": sum(bool(p.get("unresolved")) for p in mine)}
            )  # fmt: skip
    return arms


def _mean(values: list[Any]) -> float | None:
    clean = [v for v in values if v is not None and math.isfinite(v)]
    return sum(clean) / len(clean) if clean else None


def print_flatness_summary(console: Console, db: Path, stored: StoredSweep) -> None:
    """`gst summary`'s flatness section (nothing for sweeps without flatness rows)."""
    group = flatness_summary(stored, db)
    if group is not None:
        console.print(group)
