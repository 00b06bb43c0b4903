"""`gst summary` on a later_fig6 sweep: per-arm flatness and the stability / accuracy correlations with CIs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.engine.analysis.flatness_stats import correlate_with_ci
from gst.engine.analysis.sweep_stats import mean_stability
from gst.engine.spec.events import FlatnessMeasured
from gst.store import queries
from gst.store.writer import StoreWriter
from gst.tui.entry import app
from tests.tui.fabricate import fabricate

OVERRIDES = ("base.lr_milestones=[]", "base.prune.end_epoch=[10, 10, 10, 15]", "base.flatness.epochs=[20]")


def record(run_id: str, i: int) -> FlatnessMeasured:
    """Invented measurements: curvature grows with i, ε* shrinks, one run never reaches Δ = 0.1."""
    return FlatnessMeasured(
        run_id=run_id, epoch=20, method="lanczos", split="test", count=512, eigenvalues=(100.0 + 10 * i, 50.0),
        residuals=(1e-4, 1e-4), steps=(60, 60), hvps=62, grad_sq_trace=1000.0 + 50 * i, grad_cov_trace_centered=900.0,
        hutchinson_trace=math.nan, eig_sum=150.0 + 10 * i, eig_sum_positive=150.0 + 10 * i, lambda_min=50.0,
        tic=(1000.0 + 50 * i) / (150.0 + 10 * i), eps_star=math.nan if i == 0 else 0.3 - 0.01 * i, test_loss=0.5,
        test_acc=80.0, eps=(-0.1, 0.0, 0.1), perturb_loss=((0.6 + 0.01 * i, 0.5, 0.55),), perturb_acc=((70.0, 80.0, 75.0),),
    )  # fmt: skip


@pytest.mark.slow
def test_summary_and_figures_of_flatness(db: Path, tmp_path: Path) -> None:
    sweep_id = fabricate(db, "later_fig6", seeds=2, epochs=20, overrides=OVERRIDES)
    runs = queries.runs(db, sweep_id)
    writer = StoreWriter(db)
    writer.open()
    for i, run in enumerate(runs):
        writer.handle(record(run["run_id"], i))
    assert writer.close()
    result = CliRunner().invoke(app, ["summary", sweep_id, "--db", str(db)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "flatness per arm" in text and "Hessian top-k sum" in text
    assert "stability % vs Hessian top-k sum: r = " in text and "n = 12" in text
    assert "eps* vs best acc %: r = " in text and "1 missing" in text
    assert "τ = " in text and "[" in text
    doc = json.loads(CliRunner().invoke(app, ["summary", sweep_id, "--db", str(db), "--json"]).output)
    flat = doc["flatness"]
    assert sum(a["n"] for a in flat["arms"]) == len(flat["runs"]) == 12
    assert sum(a["eps_star_missing"] for a in flat["arms"]) == 1
    pair = next(c for c in flat["correlations"] if (c["x"], c["y"]) == ("stability", "eig_sum"))
    assert pair["n"] == 12 and -1 <= pair["pearson_ci"][0] <= pair["pearson_r"] <= pair["pearson_ci"][1] <= 1
    for preset in ("later_fig6", "later_figE"):
        other = fabricate(db, preset, seeds=1, epochs=20, overrides=OVERRIDES) if preset == "later_figE" else sweep_id
        if other != sweep_id:
            writer = StoreWriter(db)
            writer.open()
            for i, run in enumerate(queries.runs(db, other)):
                writer.handle(record(run["run_id"], i))
            assert writer.close()
        result = CliRunner().invoke(app, ["figure", other, "--db", str(db), "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        png = tmp_path / f"{preset}-{other}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mean_stability_and_correlation_ci() -> None:
    assert mean_stability([]) == 100.0
    assert mean_stability([(1, 80.0, 60.0), (2, 50.0, 55.0)]) == (75.0 + 110.0) / 2
    points = [{"a": float(v), "b": 2.0 * v + (0.5 if v % 2 else -0.5)} for v in range(10)]
    c = correlate_with_ci("a", "b", [*points, {"a": None, "b": 1.0}])
    assert c is not None and c.n == 10 and c.missing == 1
    assert c.pearson_ci[0] <= c.pearson_r <= c.pearson_ci[1] and c.pearson_r > 0.95
    assert c.kendall_ci[0] <= c.kendall_tau <= c.kendall_ci[1]
    assert correlate_with_ci("a", "b", points[:2]) is None
