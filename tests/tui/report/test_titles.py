"""Titles tell the truth: `gst summary`, `gst figure` and the end of `gst run` name the --set overrides a sweep ran
with, its test subset (a deviation from the paper) and, for a partial sweep, the arms it lacks."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gst.tui.entry import app
from gst.tui.report.figures import figure_title
from gst.tui.report.sweep_data import load_sweep
from tests.tui.fabricate import fabricate

OVERRIDES = ('base.dataset="cifar10"', "base.examples_per_class=500", "base.test_per_class=100")


def test_a_smoke_sweep_on_cifar10_says_so_in_its_titles(db: Path) -> None:
    sweep_id = fabricate(db, "smoke", seeds=2, overrides=OVERRIDES, arms=["prune_S", "prune_L"])
    stored = load_sweep(db, sweep_id)
    title = figure_title(stored)
    assert title.startswith("Smoke test: Conv4 on synthetic data")  # the preset's own title, unchanged ...
    flat = " ".join(title.split())
    assert (
        '--set base.dataset="cifar10", base.examples_per_class=500, base.test_per_class=100' in flat
    )  # ... and what ran
    assert "test subset 100/class: 1,000 of 10,000 cifar10 test images" in flat
    assert "partial: lacks arm unpruned" in flat
    result = CliRunner().invoke(app, ["summary", sweep_id, "--db", str(db)], env={"COLUMNS": "100"})
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    for part in ('--set base.dataset="cifar10"', "test subset 100/class", "lacks arm unpruned"):
        assert part in text


def test_a_whole_sweep_names_only_its_overrides(db: Path) -> None:
    sweep_id = fabricate(db, "smoke", seeds=1)  # every arm, the preset's data, one seed by `--set seeds=[0]`
    stored = load_sweep(db, sweep_id)
    assert stored.notes() == []
    assert figure_title(stored) == f"{stored.sweep.title}  [sweep {sweep_id}]\n--set seeds=[0]"
