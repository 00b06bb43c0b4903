"""The later paper's presets (method-later.md §4) and their schedules: §5 oracle 12 and §3.5's totals."""

from __future__ import annotations

import pytest

from gst.engine.spec.errors import SpecError
from gst.engine.spec.plan import plan
from gst.engine.spec.preset import load_preset, parse_preset
from gst.engine.spec.schedule import schedule

LATER = ("later_fig2", "later_fig4", "later_fig5", "later_figB2", "later_figC3", "later_figD2", "later_tableC1")


@pytest.mark.parametrize("name", LATER)
def test_later_presets_load_with_text_and_correlation_sample(name: str) -> None:
    sweep = load_preset(name)
    assert sweep.description and sweep.expect and sweep.seeds == tuple(range(10))
    a = sweep.analysis
    assert a.correlation_arms or a.correlation_groups or a.figure == "later_curves"
    names = {arm.name for arm in sweep.arms}
    assert set(a.correlation_arms) <= names and all(set(arms) <= names for _, arms in a.correlation_groups)


def test_fig2_r18_prune_s14_last_layer_is_7_events_of_69_70() -> None:
    p = plan(load_preset("later_fig2").arm("r18_S14").spec)
    ks = [e.k for e in p.layers["layer4.1.conv2"]]
    assert len(ks) == 7 and set(ks) == {69, 70} and sum(ks) == 486 and p.layers["layer4.1.conv2"][-1].alive == 26
    assert [len(p.layers[n]) for n in p.layers] == [4, 4, 5, 7]
    assert p.params_removed == 4_066_148
    r4 = plan(load_preset("later_fig2").arm("r18_S1").spec)
    assert [len(r4.layers[n]) for n in r4.layers] == [36, 36, 41, 67]


def test_figB2_r18_event_counts() -> None:
    sweep = load_preset("later_figB2")
    assert [len(v) for v in plan(sweep.arm("r18_S1").spec).layers.values()] == [37, 37, 42, 68]
    assert [len(v) for v in plan(sweep.arm("r18_L14").spec).layers.values()] == [4, 4, 5, 7]
    assert sweep.arm("r18_L14").spec.prune.score == "ebn_alt"  # type: ignore[union-attr]


def test_tableC1_layer4_0_conv2_loses_409_in_102_103_steps() -> None:
    sweep = load_preset("later_tableC1")
    ks = [e.k for e in plan(sweep.arm("S13").spec).layers["layer4.0.conv2"]]
    assert set(ks) == {102, 103} and sum(ks) == 409
    assert {e.k for e in plan(sweep.arm("S1").spec).layers["layer4.0.conv2"]} == {11, 12}
    assert plan(sweep.arm("L13").spec).params_removed == 5_011_198


def test_figC3_54_pruning_epochs_and_376_filters() -> None:
    sweep = load_preset("later_figC3")
    spec = sweep.arm("S10").spec
    assert len(schedule(spec)) == 54
    assert sum(e.k for events in schedule(spec).values() for e in events) == 376
    six = schedule(sweep.arm("S6").spec)
    assert len(six) == 34 and sum(e.k for events in six.values() for e in events) == 220
    assert spec.optimizer == "sgd" and spec.momentum == 0.9 and spec.augment and spec.lr_milestones == (83, 125)


@pytest.mark.parametrize(
    ("arm", "filters", "removed"), [("r18_S3", 376, 1_087_088), ("r20_S3", 60, 24_744), ("r56_S5", 180, 78_552)]
)
def test_fig4_totals(arm: str, filters: int, removed: int) -> None:
    spec = load_preset("later_fig4").arm(arm).spec
    p = plan(spec)
    assert sum(e.k for events in p.layers.values() for e in events) == filters and p.params_removed == removed
    assert sorted({e.epoch - 1 for events in p.layers.values() for e in events}) == (
        [40, 70, 100] if arm.endswith("S3") else [40, 100]
    )


def test_fig4_resnet20_16_wide_layers_lose_exactly_one_filter() -> None:
    p = plan(load_preset("later_fig4").arm("r20_S3").spec)
    for name, events in p.layers.items():
        if p.layer_units[name] == 16:
            assert sum(e.k for e in events) == 1


def test_fig5_and_D2_arms() -> None:
    fig5 = load_preset("later_fig5")
    noise = {a.name: str(a.spec.prune.noise) for a in fig5.arms if a.spec.prune}
    assert noise == {
        "prune_L": "Prune_L",
        "zeroing_1": "iter_0_zeroing", "zeroing_50": "iter_129_zeroing", "zeroing_1105": "iter_1500_zeroing",
        "gaussian_1": "iter_0_gaussian", "gaussian_50": "iter_129_gaussian", "gaussian_1105": "iter_1500_gaussian",
    }  # fmt: skip
    spec = fig5.arm("zeroing_50").spec
    assert spec.test_batch_size == 128 and spec.prune.target == "large"  # type: ignore[union-attr]
    assert sum(len(v) for v in schedule(spec).values()) == 19
    assert plan(spec).params_removed == 0 and plan(fig5.arm("prune_L").spec).params_removed > 0
    d2 = load_preset("later_figD2")
    assert str(d2.arm("zeroing_2480").spec.prune.noise) == "cumu_3000_zeroing_restore"  # type: ignore[union-attr]
    assert d2.arm("zeroing_2480").spec.test_batch_size == 256


def test_correlation_sample_must_name_arms() -> None:
    text = load_preset("later_figC3").toml.replace(
        'correlation_arms = ["S10", "S6"]', 'correlation_arms = ["S10", "S7"]'
    )
    with pytest.raises(
        SpecError, match=r"later_figC3.toml: analysis.correlation_arms: 'S7' is not an arm \(allowed: S10, S6, none\)"
    ):
        parse_preset(text, name="later_figC3")


STABILITY_PLOTS = (
    "later_fig2",
    "later_fig4",
    "later_figB2",
    "later_figC3",
    "later_tableC1",
    "later_fig6",
    "later_figE",
)


@pytest.mark.parametrize("name", STABILITY_PLOTS)
def test_stability_figures_use_mean_stability_and_the_best_epoch_gap(name: str) -> None:
    sweep = load_preset(name)
    a = sweep.analysis
    assert a.instability == "mean_stability" and a.accuracy == "best"
    assert a.gap == ("best_epoch" if name in ("later_fig4", "later_figC3") else "final")
    assert "the code uses the best epoch" not in sweep.description
    assert "mean drop" not in sweep.expect


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("instability", "stability", "mean_drop, a2_drop, mean_stability"),
        ("gap", "best", "final, best_epoch"),
    ],
)
def test_bad_analysis_measure_is_one_line_naming_key_and_allowed(key: str, value: str, allowed: str) -> None:
    with pytest.raises(SpecError) as info:
        load_preset("later_fig4", overrides=(f'analysis.{key}="{value}"',))
    message = str(info.value)
    assert message == f"later_fig4.toml: analysis.{key}: {value!r} is not allowed (allowed: {allowed})"
