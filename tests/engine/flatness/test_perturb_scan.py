"""The until-star ε scan: the same ε* and the same cells as the full grid, for fewer test passes."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from gst.engine.flatness.hvp import FlatLoss
from gst.engine.flatness.perturb import eps_star, perturbation_table
from gst.store.rows import perturbation_rows

GRID = tuple(round(float(v), 2) for v in np.linspace(-4.0, 4.0, 81))


def tiny_loss() -> tuple[FlatLoss, list[tuple[torch.Tensor, torch.Tensor]]]:
    """A 12 -> 3 linear classifier on 48 fixed points, and its test batches."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3)).double().eval()
    x, y = torch.randn(48, 12, dtype=torch.float64), torch.randint(0, 3, (48,))
    size = sum(p.numel() for p in model.parameters())
    f = FlatLoss(model, x, y, torch.ones(size, dtype=torch.float64), chunk=16)
    return f, [(x[:24], y[:24]), (x[24:], y[24:])]


def directions(f: FlatLoss, n: int) -> torch.Tensor:
    v = torch.randn(n, f.size, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    return v / v.norm(dim=1, keepdim=True)


def test_until_star_finds_the_full_grids_eps_star_with_fewer_passes() -> None:
    f, batches = tiny_loss()
    v = directions(f, 3)
    full = perturbation_table(f, v, GRID, lambda: batches, stack=1)
    scan = perturbation_table(f, v, GRID, lambda: batches, stack=1, until_star=True)
    star = eps_star(GRID, full.loss - full.base_loss)
    assert 0 < star < 4  # the grid crosses 0.1 inside it
    assert eps_star(GRID, scan.loss - scan.base_loss) == star
    measured = ~np.isnan(scan.loss)
    assert np.array_equal(scan.loss[measured], full.loss[measured])
    levels = np.abs(np.array(GRID))
    assert measured[:, levels <= star].all() and not measured[:, levels > star].any()
    assert full.evaluations == 1 + 3 * 80
    assert scan.evaluations == 1 + 3 * 2 * round(star / 0.1)
    assert scan.evaluations < full.evaluations


def test_until_star_never_crossing_evaluates_the_whole_grid() -> None:
    f, batches = tiny_loss()
    small = tuple(e * 1e-4 for e in GRID)
    scan = perturbation_table(f, directions(f, 2), small, lambda: batches, stack=2, until_star=True)
    assert not np.isnan(scan.loss).any() and scan.evaluations == 1 + 2 * 80
    assert math.isnan(eps_star(small, scan.loss - scan.base_loss))


def test_unevaluated_cells_are_not_stored() -> None:
    from gst.engine.spec.events import FlatnessMeasured

    nan = float("nan")
    event = FlatnessMeasured(
        run_id="r", epoch=1, method="lanczos", split="test", count=8, eps=(-0.2, -0.1, 0.0, 0.1, 0.2),
        perturb_loss=((nan, 1.3, 1.0, 1.2, nan),), perturb_acc=((nan, 50.0, 60.0, 55.0, nan),),
        eigenvalues=(2.0,), residuals=(0.0,), steps=(3,), hvps=4, grad_sq_trace=1.0, grad_cov_trace_centered=1.0,
        hutchinson_trace=nan, eig_sum=2.0, eig_sum_positive=2.0, lambda_min=2.0, tic=0.5, eps_star=0.1,
        test_loss=1.0, test_acc=60.0,
    )  # fmt: skip
    rows = perturbation_rows(event)
    assert [(r.eps, r.test_loss) for r in rows] == [(-0.1, 1.3), (0.0, 1.0), (0.1, 1.2)]
