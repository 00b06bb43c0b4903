"""`gst figure`/`gst summary` layouts of the later paper's presets, on fabricated sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.tui.cli import app
from gst.tui.figures import DRAWERS
from gst.tui.sweep_data import load_sweep

from .fabricate import fabricate

runner = CliRunner()


@pytest.mark.parametrize(
    ("preset", "overrides", "panels", "titles"),
    [
        (
            "later_fig5",
            ("base.prune.end_epoch=[20, 20, 20, 25]",),
            2,
            ("Zeroing (iter): epochs 1-29", "Gaussian (iter): epochs 1-29"),
        ),
        ("later_figD2", ("base.prune.end_epoch=[20, 20, 20, 25]",), 1, ("Zeroing, restored (cumu): epochs 1-28",)),
        ("later_tableC1", ("base.prune.start_epoch=[1, 2, 3, 4]", "base.prune.end_epoch=[20, 20, 20, 25]"), 2, ()),
    ],
)
def test_later_layouts(preset: str, overrides: tuple[str, ...], panels: int, titles: tuple[str, ...], db: Path) -> None:
    sweep_id = fabricate(db, preset, seeds=2, epochs=30, overrides=("base.lr_milestones=[]", *overrides))
    stored = load_sweep(db, sweep_id)
    fig = DRAWERS[stored.sweep.analysis.figure](stored, stored.analyze(), db)
    assert len(fig.axes) == panels
    assert all(any(t in ax.get_title() for ax in fig.axes) for t in titles)
    if preset == "later_fig5":  # the shared arms (No Noise, Prune_L) appear in both panels, clipped at epoch 29
        for ax in fig.axes:
            labels = [line.get_label() for line in ax.lines]
            assert any(x.startswith("no_noise") for x in labels) and any(x.startswith("prune_L") for x in labels)
            assert max(max(line.get_xdata()) for line in ax.lines) == 29


def test_summary_prints_named_correlation_samples(db: Path) -> None:
    sweep_id = fabricate(
        db, "later_tableC1", seeds=3, epochs=30,
        overrides=("base.lr_milestones=[]", "base.prune.start_epoch=[1, 2, 3, 4]", "base.prune.end_epoch=[20, 20, 20, 25]"),
    )  # fmt: skip
    data = json.loads(runner.invoke(app, ["summary", sweep_id, "--db", str(db), "--json"]).stdout)
    assert data["correlation"]["n"] == 9 and data["groups"] == {}
