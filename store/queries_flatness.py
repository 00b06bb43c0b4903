"""Reads of the flatness tables (migrations 0005, 0006, 0010) for `gst show`, `gst summary` and `gst figure`."""

from __future__ import annotations

from pathlib import Path

from gst.store.sql import Row, fetch

SCALARS = (
    "epoch, method, split, n_examples, k, hvps, eigenvalues, residuals, residuals_checked, eig_sum, eig_sum_positive, lambda_max, "
    "lambda_min, grad_sq_trace, grad_cov_trace_centered, hutchinson_trace, tic, eps_star, test_loss, test_acc, "
    "seconds_hessian, seconds_noise, seconds_perturb, unresolved, residual_bound"
)


def flatness(db: Path, run_ids: list[str]) -> list[Row]:
    """Flatness rows of the given runs, by run and epoch."""
    return fetch(
        db,
        f"SELECT run_id, {SCALARS} FROM flatness WHERE list_contains(?, run_id) ORDER BY run_id, epoch",
        [run_ids],
    )


def perturbation(db: Path, run_ids: list[str]) -> list[Row]:
    """ε-table rows of the given runs."""
    return fetch(
        db,
        "SELECT * FROM perturbation WHERE list_contains(?, run_id) ORDER BY run_id, epoch, vec_index, eps",
        [run_ids],
    )


def sweep_flatness(db: Path, sweep_id: str) -> list[Row]:
    """Per run of a sweep: arm, seed, best test accuracy and its last flatness row (the latest measured epoch)."""
    return fetch(
        db,
        f"SELECT r.run_id, r.arm, r.seed, r.best_test_acc, r.final_test_acc, {SCALARS} "
        "FROM runs r JOIN flatness f USING (run_id) WHERE r.sweep_id = ? "
        "QUALIFY row_number() OVER (PARTITION BY r.run_id ORDER BY f.epoch DESC) = 1 ORDER BY r.arm, r.seed",
        [sweep_id],
    )
