"""Rows of the `flatness` and `perturbation` tables (migration 0005) from FlatnessMeasured events."""

from __future__ import annotations

import math
from typing import Any

import duckdb

from gst.engine.events import FlatnessMeasured, event_from_dict

FLATNESS_COLUMNS = (
    "run_id",
    "epoch",
    "method",
    "split",
    "n_examples",
    "k",
    "eigenvalues",
    "residuals",
    "steps",
    "hvps",
    "eig_sum",
    "eig_sum_positive",
    "lambda_max",
    "lambda_min",
    "grad_sq_trace",
    "grad_cov_trace_centered",
    "hutchinson_trace",
    "tic",
    "eps_star",
    "test_loss",
    "test_acc",
    "seconds_hessian",
    "seconds_noise",
    "seconds_perturb",
)
PERTURBATION_COLUMNS = ("run_id", "epoch", "vec_index", "eps", "test_loss", "test_acc")


def _null(value: float) -> float | None:
    """NaN (missing) becomes SQL NULL."""
    return None if math.isnan(value) else value


def flatness_row(e: FlatnessMeasured) -> tuple[Any, ...]:
    """One `flatness` row."""
    return (
        e.run_id,
        e.epoch,
        e.method,
        e.split,
        e.count,
        len(e.eigenvalues),
        list(e.eigenvalues),
        [_null(r) for r in e.residuals],
        list(e.steps),
        e.hvps,
        e.eig_sum,
        e.eig_sum_positive,
        max(e.eigenvalues),
        e.lambda_min,
        e.grad_sq_trace,
        e.grad_cov_trace_centered,
        _null(e.hutchinson_trace),
        _null(e.tic),
        _null(e.eps_star),
        e.test_loss,
        e.test_acc,
        e.seconds_hessian,
        e.seconds_noise,
        e.seconds_perturb,
    )


def perturbation_rows(e: FlatnessMeasured) -> list[tuple[Any, ...]]:
    """One `perturbation` row per direction and ε."""
    return [
        (e.run_id, e.epoch, i, eps, loss, acc)
        for i, (losses, accs) in enumerate(zip(e.perturb_loss, e.perturb_acc, strict=True))
        for eps, loss, acc in zip(e.eps, losses, accs, strict=True)
    ]


def apply_flatness(conn: duckdb.DuckDBPyConnection, ops: list[dict[str, Any]]) -> None:
    """Write the flatness records among `ops` (idempotent: a replayed record replaces its rows)."""
    from gst.store.apply import insert_rows

    events = [
        event
        for op in ops
        if op["op"] == "event" and op["event"].get("type") == FlatnessMeasured.__name__
        for event in [event_from_dict(op["event"])]
    ]
    if not events:
        return
    insert_rows(conn, "flatness", FLATNESS_COLUMNS, [flatness_row(e) for e in events], 2)  # type: ignore[arg-type]
    rows = [row for e in events for row in perturbation_rows(e)]  # type: ignore[arg-type]
    insert_rows(conn, "perturbation", PERTURBATION_COLUMNS, rows, 4)
