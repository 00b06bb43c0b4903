"""Statistics against hand-computed cases and scipy's own functions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gst.engine.analysis.sweep_stats import (
    RunRecord,
    analyze,
    bootstrap_ci,
    correlate,
    drop_curve,
    iterative_percent,
    mean_curve,
    summarize_run,
    welch,
)
from gst.engine.spec.preset import load_preset


def record(
    arm: str,
    seed: int,
    test: list[float],
    events: list[tuple[int, float, float]] = (),
    train: list[float] | None = None,
) -> RunRecord:  # type: ignore[assignment]
    return RunRecord(run_id=f"{arm}-{seed}", arm=arm, seed=seed, epochs=tuple(range(1, len(test) + 1)), test_acc=tuple(test),
                     train_acc=tuple(train or [t + 5 for t in test]), events=tuple(events))  # fmt: skip


def test_run_summary_by_hand() -> None:
    r = record("a", 0, [50, 60, 55, 70, 72, 71], events=[(3, 62, 55), (4, 69, 70)], train=[50, 60, 70, 80, 90, 95])
    s = summarize_run(r)
    assert s.n_events == 2 and s.mean_drop == pytest.approx((7 + -1) / 2) and s.mean_positive_drop == 7
    assert s.final_test_acc == 71 and s.best_test_acc == 72  # from the last pruning epoch (4) on
    assert s.gap == 95 - 71 and s.a2_drop == 55 - 70  # test at epoch 3 minus test at epoch 4


def test_unpruned_run_has_no_instability_and_best_over_whole_run() -> None:
    s = summarize_run(record("u", 0, [50, 80, 75]))
    assert s.mean_drop is None and s.a2_drop is None and s.best_test_acc == 80


def test_bootstrap_matches_hand_computation() -> None:
    values = [1.0, 2.0, 3.0, 10.0]
    ci = bootstrap_ci(values, n_boot=1000, seed=3)
    rng = np.random.default_rng(3)
    means = np.asarray(values)[rng.integers(0, 4, size=(1000, 4))].mean(axis=1)
    assert ci.mean == 4.0 and ci.n == 4
    assert (ci.low, ci.high) == tuple(np.percentile(means, [2.5, 97.5]))
    assert bootstrap_ci(values, seed=3) == ci and ci.low < 4 < ci.high


def test_bootstrap_single_value_and_empty() -> None:
    ci = bootstrap_ci([5.0])
    assert (ci.mean, ci.low, ci.high, ci.n) == (5.0, 5.0, 5.0, 1)
    with pytest.raises(ValueError):
        bootstrap_ci([])


def test_correlation_equals_scipy_and_paper_sanity_check() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = 0.84 * x + rng.normal(scale=0.5, size=40)
    c = correlate(x, y)
    assert c is not None and c.n == 40
    assert c.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic) and c.pearson_p == pytest.approx(
        stats.pearsonr(x, y).pvalue
    )
    assert c.kendall_tau == pytest.approx(stats.kendalltau(x, y).statistic)
    assert c.slope == pytest.approx(np.polyfit(x, y, 1)[0])
    # method.md §9: r = .84 with n = 40 gives p ≈ 1.2e-11
    t = 0.84 * np.sqrt(38 / (1 - 0.84**2))
    assert 2 * stats.t.sf(t, 38) == pytest.approx(1.2e-11, rel=0.1)
    assert correlate([1, 2], [3, 4]) is None and correlate([1, 1, 1], [1, 2, 3]) is None


def test_welch_equals_scipy_and_cohen_d_by_hand() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0]
    w = welch(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert w is not None and w.t == pytest.approx(ref.statistic) and w.p == pytest.approx(ref.pvalue)
    pooled = np.sqrt((3 * np.var(a, ddof=1) + 4 * np.var(b, ddof=1)) / 7)
    assert w.cohen_d == pytest.approx((2.5 - 6.0) / pooled)
    assert welch([1.0], b) is None


def test_analyze_partial_sweep_reports_n() -> None:
    records = [record("S", s, [60, 70, 80 + s], [(2, 71, 70)]) for s in range(3)] + [
        record("L", s, [60, 70, 85 + s], [(2, 75, 65)]) for s in range(2)
    ]
    records.append(
        RunRecord(run_id="L-9", arm="L", seed=9, epochs=(1,), test_acc=(50.0,), train_acc=(50.0,), completed=False)
    )
    result = analyze(records, ["S", "L"])
    s, l_arm = result.arms
    assert (s.n, s.runs, l_arm.n, l_arm.runs) == (3, 3, 2, 3)
    assert (
        s.mean_drop is not None
        and s.mean_drop.mean == pytest.approx(1.0)
        and l_arm.mean_drop is not None
        and l_arm.mean_drop.mean == pytest.approx(10.0)
    )
    assert result.correlation is not None and result.correlation.n == 5 and result.correlation.pearson_r > 0.8
    assert set(result.welch) == {"S vs L"}


def test_drop_curve_and_mean_curve() -> None:
    records = [
        record("a", 0, [10, 20, 30], [(2, 25, 20), (3, 31, 32)]),
        record("a", 1, [12, 22, 32], [(2, 26, 22), (3, 35, 32)]),
    ]
    assert drop_curve(records, positive_only=True) == {2: 4.5, 3: 3.0}
    assert drop_curve(records) == {2: 4.5, 3: 1.0}  # all drops: (-1 + 3) / 2
    epochs, bands = mean_curve(records)
    assert epochs == [1, 2, 3] and [b.mean for b in bands] == [11, 21, 31]


def test_iterative_percent_is_the_figures_x_axis() -> None:
    fig3 = load_preset("fig3")
    assert iterative_percent(fig3.arm("ebn_L_x16").spec) == pytest.approx(100 * (81 + 82 + 82) / 3 / 512)
    a2 = load_preset("figA2")
    assert iterative_percent(a2.arm("l2_S_r4").spec) == pytest.approx(100 * 460 / 30 / 512)
    assert iterative_percent(a2.arm("l2_S_r40").spec) == pytest.approx(100 * 460 / 3 / 512)


def test_mean_stability_and_gap_at_best_by_hand() -> None:
    # events at row epochs 3 and 4: 100 * 55/62 and 100 * 70/69, the second above 100 (a negative drop)
    r = record(
        "a", 0, [50, 60, 55, 70, 72, 71, 72], events=[(3, 62, 55), (4, 69, 70)], train=[50, 60, 70, 80, 90, 95, 99]
    )
    s = summarize_run(r)
    assert s.mean_stability == pytest.approx((100 * 55 / 62 + 100 * 70 / 69) / 2)
    # best post-prune accuracy 72 is first reached at epoch 5 (train 90), again at epoch 7 (train 99)
    assert s.best_test_acc == 72 and s.gap_at_best == 90 - 72 and s.gap == 99 - 72


def test_mean_stability_is_100_without_events_or_for_scratch_only() -> None:
    unpruned = summarize_run(record("u", 0, [50, 80, 75], train=[60, 95, 99]))
    assert unpruned.mean_stability == 100.0 and unpruned.gap_at_best == 95 - 80  # best over the whole run
    scratch = summarize_run(record("s", 0, [10, 60, 70], events=[(1, 10.2, 9.7)]))
    assert scratch.mean_stability == 100.0 and scratch.mean_drop == pytest.approx(0.5)


def test_arm_summary_carries_stability_and_gap_at_best_intervals() -> None:
    records = [record("L", s, [60, 70, 80 + s], [(2, 80, 60 + 4 * s)], train=[70, 90, 95]) for s in range(3)]
    records.append(record("none", 0, [60, 70, 75], train=[70, 80, 90]))
    result = analyze(records, ["none", "L"], instability="mean_stability", gap="gap_at_best")
    none, arm = result.arms
    assert none.mean_stability is not None and none.mean_stability.mean == 100.0 and none.mean_stability.n == 1
    assert arm.mean_stability is not None and arm.mean_stability.mean == pytest.approx(100 * 64 / 80)
    assert arm.gap_at_best is not None and arm.gap_at_best.mean == pytest.approx(95 - 81)
    assert result.gap == "gap_at_best" and result.instability == "mean_stability"
    # with no correlation sample named, the unpruned run enters at stability 100 (method-later §6.22)
    assert result.correlation is not None and result.correlation.n == 4
    with pytest.raises(ValueError, match="allowed: mean_drop, a2_drop, mean_stability"):
        analyze(records, ["L"], instability="stability")
