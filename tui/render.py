"""Rich tables for the CLI: plans, run lists, run details, sweep summaries."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from gst.engine.plan import Plan


def fmt(value: Any, digits: int = 2) -> str:
    """Numbers rounded, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def plan_table(arm: str, plan: Plan) -> Table:
    """Events per layer, k per event, iterative % and the parameters removed."""
    title = f"{arm}: removes {plan.params_removed:,} of {plan.params_total:,} parameters ({plan.percent_removed:.2f}%), {len(plan.moments)} pruning moments"
    table = Table(title=title, title_justify="left")
    for col in ("layer", "events", "epochs", "k per event", "iterative %", "alive after"):
        table.add_column(col, justify="left" if col in ("layer", "epochs") else "right")
    for name, events in plan.layers.items():
        if not events:
            table.add_row(name, "0", "-", "-", "-", str(plan.layer_units[name]))
            continue
        ks = sorted({e.k for e in events})
        pcts = [e.percent_of_layer for e in events]
        epochs = (
            ", ".join(str(e.epoch) for e in events)
            if len(events) <= 8
            else f"{events[0].epoch}, {events[1].epoch}, ..., {events[-1].epoch}"
        )
        table.add_row(
            name, str(len(events)), epochs, "/".join(map(str, ks)) if len(ks) <= 3 else f"{ks[0]}-{ks[-1]}",
            f"{sum(pcts) / len(pcts):.2f}", f"{events[-1].alive:,}",
        )  # fmt: skip
    return table


def rows_table(rows: list[dict[str, Any]], columns: list[str], title: str = "") -> Table:
    """A table of dict rows, chosen columns."""
    table = Table(title=title or None, title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(fmt(row.get(c)) for c in columns))
    return table


SUMMARY_COLUMNS = {
    "arm": "arm", "n": "n", "final_test_acc": "final %", "final_test_sd": "sd", "best_test_acc": "best %",
    "mean_drop_pp": "drop pp", "events_per_run": "events", "gap": "gap pp",
}  # fmt: skip


def summary_table(rows: list[dict[str, Any]], title: str) -> Table:
    """Per-arm results of a sweep, compact enough for 80 columns."""
    table = Table(title=title, title_justify="left")
    for label in SUMMARY_COLUMNS.values():
        table.add_column(label, justify="left" if label == "arm" else "right", no_wrap=True)
    for row in rows:
        table.add_row(*(fmt(row.get(key)) for key in SUMMARY_COLUMNS))
    return table
