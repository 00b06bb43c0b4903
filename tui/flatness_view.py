"""`gst show`'s flatness section: per measured epoch the curvature, noise, TIC and ε*, and the top eigenvalues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gst.store import queries_flatness
from gst.tui.render import fmt

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
        worst = max((r for r in row["residuals"] if r is not None), default=None)
        console.print(
            f"epoch {row['epoch']}: top eigenvalues {top}  (k = {row['k']}, worst residual {fmt(worst, 4)})",
            highlight=False,
        )
