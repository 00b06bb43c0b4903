"""Acceptance numbers of method.md §9 and the schedule rules of §3."""

from __future__ import annotations

import math

import pytest

from gst.engine.spec.plan import plan
from gst.engine.spec.preset import parse_preset
from gst.engine.spec.schedule import constant_rate_counts, linear_to_p_counts, lr_at, schedule
from gst.engine.spec.specs import RunSpec, spec_from_dict

FIG1 = {
    "model": "vgg11",
    "epochs": 325,
    "lr_milestones": [150, 300],
    "prune": {
        "layers": ["conv5", "conv6", "conv7", "conv8"],
        "score": "ebn",
        "target": "small",
        "start_epoch": [3, 4, 5, 6],
        "end_epoch": [150, 150, 150, 275],
        "fraction": [0.3, 0.3, 0.3, 0.9],
        "retrain_period": 4,
    },
}


def fig1(**prune: object) -> RunSpec:
    raw = {**FIG1, "prune": {**FIG1["prune"], **prune}}  # type: ignore[dict-item]
    return spec_from_dict(raw)


@pytest.mark.parametrize(("r", "events"), [(4, [37, 37, 37, 68]), (40, [4, 4, 4, 7])])
def test_fig1_events_per_layer_and_final_kept(r: int, events: list[int]) -> None:
    p = plan(fig1(retrain_period=r))
    assert [len(p.layers[f"conv{i}"]) for i in (5, 6, 7, 8)] == events
    assert [p.layers[f"conv{i}"][-1].alive for i in (5, 6, 7, 8)] == [359, 359, 359, 52]
    assert p.params_removed == 3_884_997
    assert round(p.percent_removed, 2) == 42.09


def test_fig1_r40_k_sequences_and_epochs() -> None:
    p = plan(fig1(retrain_period=40))
    assert [e.k for e in p.layers["conv8"]] == [65, 66, 66, 65, 66, 66, 66]
    assert [e.k for e in p.layers["conv5"]] == [38, 38, 38, 39]
    indices = [3, 4, 5, 6, 43, 44, 45, 46, 83, 84, 85, 86, 123, 124, 125, 126, 166, 206, 246]
    assert p.moments == [t + 1 for t in indices]
    assert list(schedule(fig1(retrain_period=40))) == indices


def test_fig1_r4_every_moment_prunes_one_layer() -> None:
    moments = schedule(fig1(retrain_period=4))
    assert len(moments) == 179
    assert all(len(events) == 1 for events in moments.values())


def test_a2_r4_counts() -> None:
    spec = fig1(start_epoch=[3, 3, 3, 3], end_epoch=[50, 50, 50, 120], fraction=[0.1, 0.1, 0.1, 0.9], retrain_period=4)
    p = plan(spec)
    assert len(p.layers["conv5"]) == 12 and sum(e.k for e in p.layers["conv5"]) == 51
    assert len(p.layers["conv8"]) == 30 and {e.k for e in p.layers["conv8"]} == {15, 16}
    moments = schedule(spec)
    assert all(len(moments[t]) == 4 for t in range(3, 48, 4))  # all layers pruned together
    assert all(len(moments[t]) == 1 for t in range(51, 120, 4))  # then conv8 alone


def test_a3_conv4_unstructured_counts() -> None:
    spec = spec_from_dict(
        {
            "model": "conv4",
            "epochs": 25,
            "prune": {
                "layers": ["fc1"],
                "score": "magnitude",
                "target": "small",
                "start_epoch": [3],
                "end_epoch": [18],
                "fraction": [0.9],
                "retrain_period": 1,
            },
        }
    )
    events = plan(spec).layers["fc1"]
    assert [e.epoch for e in events] == list(range(4, 20))
    assert {e.k for e in events} == {66_355, 66_356}
    assert sum(e.k for e in events) == 1_061_683
    assert events[-1].alive == 117_965


def authors_counts(units: int, fraction: float, n: int) -> list[int]:
    """The authors' per-event rule (method.md §3.2), for comparison."""
    final_kept = math.ceil((1 - fraction) * units)
    pruned, ks = 0, []
    for i in range(1, n + 1):
        kept = math.ceil(final_kept + (units - final_kept) * (n - i) / n)
        ks.append(units - kept - pruned)
        pruned += ks[-1]
    return ks


@pytest.mark.parametrize(
    ("units", "fraction", "n"),
    [
        (512, 0.3, 37),
        (512, 0.9, 68),
        (512, 0.3, 4),
        (512, 0.9, 7),
        (512, 0.1, 12),
        (512, 0.9, 30),
        (1_179_648, 0.9, 16),
        (512, 0.1, 2),
        (512, 0.9, 3),
    ],
)
def test_floor_rule_equals_authors_rule(units: int, fraction: float, n: int) -> None:
    assert linear_to_p_counts(units, fraction, n) == authors_counts(units, fraction, n)


def test_constant_rate_example_and_cap() -> None:
    assert constant_rate_counts(512, 0.3, 0.08, 2) == [40, 41]
    assert constant_rate_counts(512, 0.9, 0.16, 3) == [81, 82, 82]
    assert sum(constant_rate_counts(512, 0.3, 0.25, 2)) == 153  # capped by p
    spec = fig1(
        start_epoch=[3, 3, 3, 3],
        end_epoch=[50, 50, 50, 120],
        retrain_period=40,
        mode="constant_rate",
        rate=[0.08, 0.08, 0.08, 0.16],
    )
    assert list(schedule(spec)) == [3, 43, 83]


def test_lr_schedule_325_epochs() -> None:
    spec = fig1()
    assert {lr_at(spec, t) for t in range(150)} == {1e-3}
    assert all(math.isclose(lr_at(spec, t), 1e-4) for t in range(150, 300))
    assert all(math.isclose(lr_at(spec, t), 1e-5) for t in range(300, 325))


def test_scratch_prunes_at_index_0_and_delays_lr_steps() -> None:
    spec = fig1(start_epoch=[0, 0, 0, 0], end_epoch=[0, 0, 0, 0], scratch=True, score="l2")
    moments = schedule(spec)
    assert list(moments) == [0] and [e.k for e in moments[0]] == [153, 153, 153, 460]
    assert lr_at(spec, 150) == 1e-3 and math.isclose(lr_at(spec, 151), 1e-4) and math.isclose(lr_at(spec, 301), 1e-5)


def test_presets_expand_arms_over_base() -> None:
    text = """
seeds = [0, 1]
[base]
model = "vgg11"
epochs = 10
[base.prune]
layers = ["conv8"]
score = "ebn"
target = "small"
start_epoch = [1]
end_epoch = [5]
fraction = [0.5]
retrain_period = 2
[[arm]]
name = "base"
prune = false
[[arm]]
name = "L"
prune.target = "large"
"""
    sweep = parse_preset(text, name="x", overrides=("arm.L.prune.retrain_period=4", "base.epochs=8"))
    assert sweep.arms[0].spec.prune is None
    assert sweep.arms[1].spec.prune is not None and sweep.arms[1].spec.prune.target == "large"
    assert sweep.arms[1].spec.prune.retrain_period == 4 and sweep.arms[1].spec.epochs == 8
    assert sweep.overrides == ("arm.L.prune.retrain_period=4", "base.epochs=8") and "overrides" not in sweep.toml
