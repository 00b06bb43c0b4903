"""`gst summary` and `gst figure` on small synthetic sweeps of the paper's presets."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import pytest
from typer.testing import CliRunner

from gst.tui.entry import app
from gst.tui.report.figures import DRAWERS
from gst.tui.report.sweep_data import load_sweep
from tests.tui.fabricate import fabricate

runner = CliRunner()


def test_plan_fig1_reproduces_method_numbers() -> None:
    result = runner.invoke(app, ["plan", "preset", "fig1", "--json"])
    arms = json.loads(result.stdout)["arms"]
    assert result.exit_code == 0
    for arm in arms.values():
        assert arm["params_removed"] == 3_884_997 and arm["percent_removed"] == pytest.approx(42.0855, abs=1e-3)
    assert [len(arms["ebn_S_r4"]["layers"][f"conv{i}"]) for i in (5, 6, 7, 8)] == [37, 37, 37, 68]
    assert [e["k"] for e in arms["ebn_L_r40"]["layers"]["conv8"]] == [65, 66, 66, 65, 66, 66, 66]


def test_summary_reports_arms_ci_correlation_and_expectation(db: Path) -> None:
    sweep_id = fabricate(
        db, "fig1", seeds=3, epochs=60, overrides=("base.lr_milestones=[]", "base.prune.end_epoch=[40, 40, 40, 50]")
    )
    result = runner.invoke(app, ["summary", sweep_id, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [a["arm"] for a in data["arms"]] == ["ebn_S_r4", "ebn_S_r40", "ebn_L_r40", "l2_S_r4"]
    assert all(a["n"] == 3 for a in data["arms"])
    assert data["correlation"]["n"] == 12 and data["correlation"]["pearson_r"] > 0.5
    assert "1.6e-11" in data["expect"]
    text = runner.invoke(app, ["summary", "latest", "--db", str(db)]).stdout
    assert "Pearson r =" in text and "n = 12" in text and "paper:" in text and "[" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "overrides", "panels"),
    [
        ("fig1", ("base.prune.end_epoch=[20, 20, 20, 25]",), 2),
        ("fig2", ("base.prune.end_epoch=[20, 20, 20, 25]",), 1),
        ("fig3", ("base.prune.end_epoch=[10, 10, 10, 20]", "base.prune.retrain_period=5"), 2),
        ("figA2", ("base.prune.end_epoch=[10, 10, 10, 20]",), 2),
        ("figA3", ("base.prune.end_epoch=[18]",), 3),
        ("figA1", ("base.bn_probe_epochs=[0, 30]",), 16),
        ("smoke", (), 3),
    ],
)
def test_figures_are_valid_images_with_expected_panels(
    preset: str, overrides: tuple[str, ...], panels: int, db: Path, tmp_path: Path
) -> None:
    sweep_id = fabricate(
        db, preset, seeds=2, epochs=30 if preset != "smoke" else None, overrides=("base.lr_milestones=[]", *overrides)
    )
    stored = load_sweep(db, sweep_id)
    fig = DRAWERS[stored.sweep.analysis.figure](stored, stored.analyze(), db)
    assert len(fig.axes) == panels
    result = runner.invoke(app, ["figure", sweep_id, "--db", str(db), "--out", str(tmp_path / "figs")])
    assert result.exit_code == 0, result.stderr
    png, pdf = (tmp_path / "figs" / f"{preset}-{sweep_id}.png"), (tmp_path / "figs" / f"{preset}-{sweep_id}.pdf")
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert pdf.read_bytes().startswith(b"%PDF")


def test_figure_of_empty_sweep_is_a_clear_error(db: Path) -> None:
    result = runner.invoke(app, ["figure", "nope", "--db", str(db)])
    assert result.exit_code == 1 and "no database here" in result.stderr
