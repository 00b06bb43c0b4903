"""The pre-prune test cadence and the noise windows `gst plan` shows (method-later.md §1.2, §1.4): the authors'
exact counts under their cadence, today's counts under gst's, the spec key's checks and unchanged hashes."""

from __future__ import annotations

import pytest

from gst.engine.spec.errors import SpecError
from gst.engine.spec.noise_plan import PlannedWindow, planned_windows
from gst.engine.spec.plan import plan
from gst.engine.spec.preset import load_preset
from gst.engine.spec.specs import spec_from_dict, spec_hash

PRUNING_EPOCHS = 'base.pre_prune_test="pruning_epochs"'


def windows(preset: str, arm: str, *overrides: str) -> list[PlannedWindow]:
    return planned_windows(load_preset(preset, overrides).arm(arm).spec)


@pytest.mark.parametrize("arm", ["zeroing_1105", "gaussian_1105"])
def test_every_iter_1500_window_of_later_fig5_holds_the_authors_counts(arm: str) -> None:
    found = windows("later_fig5", arm)
    assert len(found) == 19 and all(w.complete for w in found)
    assert {(w.train_forwards, w.eval_forwards) for w in found} == {(1106, 395)}


@pytest.mark.parametrize(("arm", "train", "test"), [
    ("zeroing_89", 89, 40), ("zeroing_630", 630, 120), ("zeroing_1220", 1220, 280), ("zeroing_2480", 2480, 520),
])  # fmt: skip
def test_later_figd2_cumu_windows_hold_the_legends_training_batches(arm: str, train: int, test: int) -> None:
    found = windows("later_figD2", arm)
    assert len(found) == 19 and {(w.train_forwards, w.eval_forwards, w.complete) for w in found} == {
        (train, test, True)
    }


def test_testing_only_at_pruning_epochs_lets_long_windows_reach_further_into_training() -> None:
    by_layer = {
        w.layer: (w.train_forwards, w.eval_forwards) for w in windows("later_fig5", "zeroing_1105", PRUNING_EPOCHS)
    }
    assert by_layer == {"conv5": (1106, 395), "conv6": (1106, 395), "conv7": (1173, 328), "conv8": (1185, 316)}
    cumu = {w.layer: (w.train_forwards, w.eval_forwards) for w in windows("later_figD2", "zeroing_630", PRUNING_EPOCHS)}
    assert cumu["conv8"] == (670, 80) and cumu["conv5"] == (630, 120)
    short = windows("later_fig5", "zeroing_50", PRUNING_EPOCHS)  # ends in the next epoch's training: no difference
    assert {(w.train_forwards, w.eval_forwards) for w in short} == {(51, 79)}


def test_plan_json_carries_each_events_window() -> None:
    spec = load_preset("later_figD2").arm("zeroing_2480").spec
    layers = plan(spec).to_json()["layers"]
    assert isinstance(layers, dict)
    first = layers["conv8"][0]
    assert first == {"epoch": 7, "k": 65, "alive": 447, "noised_train_forwards": 2480, "noised_eval_forwards": 520,
                     "window_complete": True}  # fmt: skip
    assert (
        "noised_train_forwards"
        not in plan(load_preset("later_fig5").arm("prune_L").spec).to_json()["layers"]["conv5"][0]
    )  # type: ignore[index]


def test_the_cadence_key_leaves_the_hash_of_specs_at_its_default_unchanged() -> None:
    # Hashes computed by the code before the key existed (the same specs, one field fewer).
    assert spec_hash(load_preset("smoke").arm("prune_L").spec) == "ec241d22877bfc95"
    assert spec_hash(load_preset("figA3").arm("n5000_aug_prune_L").spec) == "a0bc5c2d5fab8548"
    assert spec_hash(load_preset("later_fig5", (PRUNING_EPOCHS,)).arm("zeroing_1105").spec) == "ec0e792ce65de6d7"
    assert spec_hash(load_preset("later_fig5").arm("zeroing_1105").spec) != "ec0e792ce65de6d7"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("pre_prune_test", "always", "pre_prune_test: 'always' is not allowed (allowed: pruning_epochs, every_epoch)"),
    ("test_per_class", 1001, "test_per_class: 1001 is larger than a cifar10 test class (allowed: 0..1000)"),
    ("test_per_class", -1, "test_per_class: -1 must be >= 0"),
])  # fmt: skip
def test_bad_cadence_or_test_subset_is_one_line_naming_the_key(key: str, value: object, message: str) -> None:
    with pytest.raises(SpecError) as info:
        spec_from_dict({"model": "conv4", "epochs": 3, key: value}, "p.toml")
    assert str(info.value) == f"p.toml: {message}"
