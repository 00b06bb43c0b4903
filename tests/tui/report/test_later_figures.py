"""`gst figure`/`gst summary` layouts of the later paper's presets, on fabricated sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.tui.entry import app
from gst.tui.report.figures import DRAWERS
from gst.tui.report.sweep_data import load_sweep
from tests.tui.fabricate import fabricate

runner = CliRunner()


@pytest.mark.parametrize(
    ("preset", "overrides", "panels", "titles"),
    [
        (
            "later_fig5",
            ("base.prune.end_epoch=[8, 8, 8, 10]",),
            2,
            ("Zeroing (iter): epochs 1-11", "Gaussian (iter): epochs 1-11"),
        ),
        ("later_figD2", ("base.prune.end_epoch=[8, 8, 8, 10]",), 1, ("Zeroing, restored (cumu): epochs 1-10",)),
        ("later_tableC1", ("base.prune.start_epoch=[1, 2, 3, 4]", "base.prune.end_epoch=[8, 8, 8, 10]"), 2, ()),
    ],
)
def test_later_layouts(preset: str, overrides: tuple[str, ...], panels: int, titles: tuple[str, ...], db: Path) -> None:
    sweep_id = fabricate(db, preset, seeds=2, epochs=12, overrides=("base.lr_milestones=[]", *overrides))
    stored = load_sweep(db, sweep_id)
    fig = DRAWERS[stored.sweep.analysis.figure](stored, stored.analyze(), db)
    assert len(fig.axes) == panels
    assert all(any(t in ax.get_title() for ax in fig.axes) for t in titles)
    if preset == "later_fig5":  # the shared arms (No Noise, Prune_L) appear in both panels, clipped at epoch 11
        for ax in fig.axes:
            labels = [line.get_label() for line in ax.lines]
            assert any(x.startswith("no_noise") for x in labels) and any(x.startswith("prune_L") for x in labels)
            assert max(max(line.get_xdata()) for line in ax.lines) == 11


def test_summary_prints_named_correlation_samples(db: Path) -> None:
    sweep_id = fabricate(
        db, "later_tableC1", seeds=3, epochs=12,
        overrides=("base.lr_milestones=[]", "base.prune.start_epoch=[1, 2, 3, 4]", "base.prune.end_epoch=[8, 8, 8, 10]"),
    )  # fmt: skip
    data = json.loads(runner.invoke(app, ["summary", sweep_id, "--db", str(db), "--json"]).stdout)
    assert data["correlation"]["n"] == 9 and data["groups"] == {}


def test_models_lists_the_resnets() -> None:
    result = runner.invoke(app, ["models", "--json"])
    data = {m["name"]: m for m in json.loads(result.stdout)}
    assert (data["resnet18"]["params"], data["resnet20"]["params"], data["resnet56"]["params"]) == (
        11_173_962,
        269_722,
        853_018,
    )
    assert [len(data[n]["layers"]) for n in ("resnet18", "resnet20", "resnet56")] == [16, 18, 54]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            'arm.zeroing_50.prune.noise="iter_5_blur"',
            "arm zeroing_50: prune.noise: 'iter_5_blur' is not a noise variant (allowed: Prune_L, iter_{B}_zeroing",
        ),
        (
            'arm.gaussian_50.prune.noise="cumu_-3_zeroing_restore"',
            "arm gaussian_50: prune.noise: 'cumu_-3_zeroing_restore': B = -3 must be >= 0",
        ),
        (
            'arm.r18_S14.prune.layers=["conv1", "layer4.0.conv2", "layer4.1.conv1", "layer4.1.conv2"]',
            "prune.layers[0]: 'conv1' is not a layer of resnet18 (allowed: layer1.0.conv1",
        ),
    ],
)
def test_bad_later_input_is_one_line_exit_1_nothing_written(override: str, message: str, tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    preset = "later_fig5" if "noise" in override else "later_fig2"
    result = runner.invoke(app, ["run", "preset", preset, "--set", override, "--db", str(db), "--device", "cpu"])
    assert result.exit_code == 1 and message in result.stderr and result.stderr.strip().count("\n") == 0
    assert not db.exists()


@pytest.mark.slow
def test_mean_stability_is_named_in_summary_json_text_and_figure(db: Path) -> None:
    sweep_id = fabricate(
        db, "later_tableC1", seeds=2, epochs=12,
        overrides=("base.lr_milestones=[]", "base.prune.start_epoch=[1, 2, 3, 4]", "base.prune.end_epoch=[8, 8, 8, 10]",
                   'analysis.gap="best_epoch"'),
    )  # fmt: skip
    data = json.loads(runner.invoke(app, ["summary", sweep_id, "--db", str(db), "--json"]).stdout)
    assert (data["instability"], data["instability_label"]) == ("mean_stability", "Mean Stability (%)")
    assert data["gap"] == "gap_at_best"
    for arm in data["arms"]:
        assert arm["mean_stability"]["mean"] < 100 and arm["gap_at_best"] is not None
    text = runner.invoke(app, ["summary", sweep_id, "--db", str(db)], env={"COLUMNS": "200"}).stdout
    assert "Mean Stability (%)" in text and "gap@best pp" in text and "lower = less stable" in text
    stored = load_sweep(db, sweep_id)
    fig = DRAWERS["later_scatter"](stored, stored.analyze(), db)
    assert {ax.get_xlabel() for ax in fig.axes} == {"Mean Stability (%); left = less stable"}
    assert any("gap at the best epoch" in ax.get_ylabel() for ax in fig.axes)
