"""The composer keeps the user's work: ctrl+a from any field, no silent replacement of an arm, Esc asks over
unsaved changes, and edits after loading a preset reach the loaded arms (the confirmation counts what runs)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from gst.engine.spec.preset import load_preset
from gst.tui.app.composer_arms import LoadedArms
from gst.tui.app.gst_app import GstApp
from gst.tui.app.screens.composer import ComposerScreen
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.screens.presets import PresetsScreen
from tests.tui.app.test_app import text_of
from tests.tui.app.test_app_flows import confirm_text


def arms_line(app: GstApp) -> str:
    return text_of(app.screen.query_one("#composer-arms", Static))


async def set_field(pilot: object, name: str, text: str) -> None:
    """Focus a text box and type into it, as a user does."""
    app = pilot.app  # type: ignore[attr-defined]
    box = app.screen.query_one(f"#{name}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*list(text))  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_two_arms_composed_from_text_boxes_and_no_silent_replacement(db: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await set_field(pilot, "arm-name", "prune_L")
        await pilot.press("ctrl+a")  # the arm-name box has the focus
        await pilot.pause()
        await set_field(pilot, "epochs", "4")
        await set_field(pilot, "arm-name", "short")
        await pilot.press("ctrl+a")  # from another text box too
        await pilot.pause()
        assert [(n, s.epochs) for n, s in screen.arms] == [("prune_L", 5), ("short", 4)]
        assert "launch: 2 arms x 2 seeds = 4 runs, 18 epochs" in arms_line(app)
        await set_field(pilot, "epochs", "6")
        await set_field(pilot, "arm-name", "prune_L")
        await pilot.press("ctrl+a")  # the name exists: ask
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Replace arm prune_L?" in str(app.screen.title_text)
        await pilot.press("n")
        await pilot.pause()
        assert [(n, s.epochs) for n, s in screen.arms] == [("prune_L", 5), ("short", 4)]
        await pilot.press("ctrl+a", "y")
        await pilot.pause()
        assert [(n, s.epochs) for n, s in screen.arms] == [("prune_L", 6), ("short", 4)]  # replaced in its place


@pytest.mark.slow
async def test_esc_asks_over_unsaved_work_and_not_after_a_save(db: Path, tmp_path: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("escape")  # nothing changed: leave at once
        await pilot.pause()
        assert isinstance(app.screen, PresetsScreen)
        await pilot.press("c")
        await pilot.pause()
        await set_field(pilot, "epochs", "7")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Leave the composer?" in str(app.screen.title_text)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen) and app.screen.query_one("#epochs", Input).value == "7"
        app.screen.query_one("#save-path", Input).value = str(tmp_path / "seven.toml")
        await pilot.press("ctrl+s", "escape")  # saved: nothing to lose
        await pilot.pause()
        assert isinstance(app.screen, PresetsScreen) and "epochs = 7" in (tmp_path / "seven.toml").read_text()


@pytest.mark.slow
async def test_editing_after_loading_a_preset_edits_the_loaded_arms(db: Path) -> None:
    app = GstApp(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await set_field(pilot, "save-path", "smoke")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "launch: 3 arms x 2 seeds = 6 runs, 30 epochs" in arms_line(app)
        await set_field(pilot, "epochs", "15")  # typed as "1", then "15": the arms follow every valid value
        assert [s.epochs for _, s in screen.arms] == [15, 15, 15]
        assert "epochs: set in every loaded arm" in arms_line(app)
        assert "6 runs, 90 epochs" in arms_line(app)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "6 runs, 90 epochs" in confirm_text(app)
        await pilot.press("n")
        await pilot.pause()
        await set_field(pilot, "epochs", "5")  # back to the preset's value: the arms as loaded
        loaded = load_preset("smoke")
        assert [s for _, s in screen.arms] == [a.spec for a in loaded.arms]


def test_loaded_arms_follow_shared_fields_only() -> None:
    smoke = load_preset("smoke")
    arms = [(a.name, a.spec) for a in smoke.arms]
    prune_s = smoke.arms[1].spec
    loaded = LoadedArms.link(arms, prune_s)  # the form shows prune_S
    assert "epochs" in loaded.tracked and "prune.fraction" in loaded.tracked and "prune.target" not in loaded.tracked
    edited_form = replace(prune_s, epochs=9, prune=replace(prune_s.prune, target="large", fraction=(0.5,)))
    out, edited, errors = loaded.apply(edited_form)
    assert edited == ["epochs", "prune.fraction"] and not errors
    assert out["unpruned"].epochs == 9 and out["unpruned"].prune is None
    assert out["prune_S"].prune.target == "small" and out["prune_S"].prune.fraction == (0.5,)  # type: ignore[union-attr]
    assert out["prune_L"].prune.target == "large" and out["prune_L"].epochs == 9  # type: ignore[union-attr]
    assert loaded.differing(prune_s, edited_form) == ["prune.target"]
    too_short = replace(prune_s, epochs=2)  # below the pruned arms' last pruning epoch (index 3)
    out, edited, errors = loaded.apply(too_short)
    assert out["unpruned"].epochs == 2 and out["prune_L"].epochs == 5 and len(errors) == 2
