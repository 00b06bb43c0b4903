"""The composer's later-paper keys: a ResNet20 SGD noise arm composed, saved, and loaded back into the form."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, Label, Select

from gst.engine.spec.noise_kind import parse_noise
from gst.engine.spec.preset import parse_preset
from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.composer import ComposerScreen
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.widgets.spec_form import NO_NOISE, AdvancedFields, noise_parts, noise_value
from tests.tui.app.test_app_literal import rendered

LAYER = "layer3.2.conv1"


def test_noise_kinds_and_windows_round_trip() -> None:
    for text in ("Prune_L", "iter_129_zeroing", "iter_0_gaussian", "cumu_1500_zeroing_restore"):
        assert noise_value(*noise_parts(parse_noise(text))) == text
    assert noise_parts(None) == (NO_NOISE, "") and noise_value(NO_NOISE, "") == ""
    assert noise_value("iter_{B}_gaussian", " 7 ") == "iter_7_gaussian"


@pytest.mark.slow
async def test_compose_a_resnet20_sgd_noise_arm_save_and_reload(db: Path, tmp_path: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        advanced = screen.query_one(AdvancedFields)
        plan = rendered(screen.query_one("#composer-plan"))  # at 80 columns: layer, epochs and k whole
        assert "layer" in plan and "2, 3, 4" in plan and "353894/353895" in plan and "alive after" not in plan
        assert advanced.collapsed and not screen.query_one("#field-momentum").display  # Adam: no momentum field

        def set_values(**values: str) -> None:
            for name, value in values.items():
                screen.query_one(f"#{name}").value = value  # type: ignore[attr-defined]

        set_values(model="resnet20", layers=LAYER, score="l2", optimizer="sgd", weight_decay="5e-4")
        set_values(noise="iter_{B}_zeroing", noise_window="-1", noise_count="train_batches")
        await pilot.pause()
        error = str(screen.query_one("#err-noise", Label).content)
        assert error.startswith("prune.noise: 'iter_-1_zeroing': B = -1 must be >= 0 (allowed: Prune_L")
        assert error.endswith("with B >= 0)")  # the engine's whole one-line message
        assert not advanced.collapsed and screen.query_one("#field-momentum").display
        set_values(noise_window="129", momentum="0.9")
        await pilot.pause()
        assert str(screen.query_one("#err-noise", Label).content) == ""

        target = tmp_path / "noise.toml"
        screen.query_one("#save-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause()
        data = tomllib.loads(target.read_text())
        base = data["base"]
        assert (base["model"], base["optimizer"], base["momentum"], base["weight_decay"]) == (
            "resnet20",
            "sgd",
            0.9,
            5e-4,
        )
        assert (base["prune"]["noise"], base["prune"]["noise_count"]) == ("iter_129_zeroing", "train_batches")
        spec = parse_preset(target.read_text(), name="noise").arms[0].spec
        assert spec == screen.spec()[0]

        set_values(model="conv4", layers="fc1", score="magnitude", optimizer="adam", noise=NO_NOISE)
        advanced.collapsed = True
        await pilot.press("ctrl+o")  # load the saved file back into the form, over the changes since the save
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Load noise?" in str(app.screen.title_text)
        await pilot.press("y")
        await pilot.pause()
        assert screen.spec()[0] == spec and not advanced.collapsed
        assert screen.query_one("#noise", Select).value == "iter_{B}_zeroing"
        assert screen.query_one("#noise_window", Input).value == "129"
