"""Statistics of the paper's figures over plain run records (method.md §4, §6.1); no torch, no database.

Instability is the test-accuracy drop at pruning moments, in percentage points, or (the later paper's
parity measure) Mean Stability (%), where lower means less stable. All summaries report n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from gst.engine.spec.plan import plan
from gst.engine.spec.specs import TARGET_ABBREVIATIONS, RunSpec

N_BOOT = 1000
# Per-run instability measures (attribute names of RunSummary and ArmSummary) and their axis labels.
INSTABILITY_LABELS = {
    "mean_drop": "mean drop (pp)",
    "a2_drop": "A2 drop (pp)",
    "mean_stability": "Mean Stability (%)",
}
# Generalization gaps: at the final epoch, or at the first epoch reaching the best post-prune test accuracy.
GAP_LABELS = {"gap": "gap at the final epoch (pp)", "gap_at_best": "gap at the best epoch (pp)"}


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One run's measurements: per-epoch curves and its pruning moments (epoch, before, after)."""

    run_id: str
    arm: str
    seed: int
    epochs: tuple[int, ...]
    test_acc: tuple[float, ...]
    train_acc: tuple[float, ...]
    events: tuple[tuple[int, float, float], ...] = ()
    completed: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """Per-run quantities (method.md §4.4, §6.2)."""

    run_id: str
    arm: str
    seed: int
    n_events: int
    mean_drop: float | None  # over every pruning moment, negative drops included
    mean_positive_drop: float | None
    final_test_acc: float
    best_test_acc: float  # from the last pruning moment on (whole run if unpruned)
    final_train_acc: float
    gap: float  # train - test at the final epoch (positive = overfitting)
    a2_drop: float | None  # test at the epoch before the last pruning moment minus test at that moment
    mean_stability: float = 100.0  # mean of 100 after/before over pruning moments; 100 without any (§4.4)
    gap_at_best: float = math.nan  # train - test at the first epoch reaching best_test_acc (§4.4)


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean with its percentile-bootstrap 95% confidence interval and n."""

    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Correlation:
    """Pearson and Kendall correlations with p-values, and the least-squares line y = slope x + intercept."""

    n: int
    pearson_r: float
    pearson_p: float
    kendall_tau: float
    kendall_p: float
    slope: float
    intercept: float


@dataclass(frozen=True, slots=True, kw_only=True)
class WelchTest:
    """Welch's t-test between two groups of values, with Cohen's d."""

    t: float
    p: float
    cohen_d: float
    n_a: int
    n_b: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmSummary:
    """Per-arm means with bootstrap CIs over completed runs."""

    arm: str
    n: int
    runs: int
    mean_drop: Interval | None
    final_test_acc: Interval | None
    best_test_acc: Interval | None
    gap: Interval | None
    a2_drop: Interval | None
    events_per_run: float
    mean_stability: Interval | None = None
    gap_at_best: Interval | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepAnalysis:
    """Everything `gst summary` reports."""

    arms: list[ArmSummary]
    runs: list[RunSummary]
    correlation: Correlation | None
    instability: str
    accuracy: str
    gap: str = "gap"  # the RunSummary gap the figures plot: "gap" (final epoch) or "gap_at_best"
    welch: dict[str, WelchTest] = field(default_factory=dict)
    groups: dict[str, Correlation | None] = field(default_factory=dict)  # named correlation samples


def mean_stability(events: Sequence[tuple[int, float, float]]) -> float:
    """Mean Stability (%) = mean of 100·after/before over pruning moments, negatives included; 100 if none.

    As the authors' `add_pruning_status_vars` (method.md §4.4), a run whose last pruning moment is at row
    epoch 1 (scratch pruning of the untrained model) counts as unpruned: 100.
    """
    if max((epoch for epoch, _, _ in events), default=0) <= 1:
        return 100.0
    ratios = [100.0 * after / before for _, before, after in events if before]
    return float(np.mean(ratios)) if ratios else 100.0


def summarize_run(record: RunRecord) -> RunSummary:
    """Per-run instability, accuracy and gap."""
    drops = [before - after for _, before, after in record.events]
    positive = [d for d in drops if d > 0]
    last = max((epoch for epoch, _, _ in record.events), default=0)
    rows = list(zip(record.epochs, record.test_acc, record.train_acc, strict=True))
    post = [row for row in rows if row[0] >= last] or rows  # the post-prune window (whole run if unpruned)
    best = max(post, key=lambda row: row[1]) if post else None  # max() keeps the first epoch reaching it
    by_epoch = dict(zip(record.epochs, record.test_acc, strict=True))
    a2 = by_epoch[last - 1] - by_epoch[last] if last and last - 1 in by_epoch else None
    final_test = record.test_acc[-1] if record.test_acc else math.nan
    final_train = record.train_acc[-1] if record.train_acc else math.nan
    return RunSummary(
        run_id=record.run_id,
        arm=record.arm,
        seed=record.seed,
        n_events=len(drops),
        mean_drop=float(np.mean(drops)) if drops else None,
        mean_positive_drop=float(np.mean(positive)) if positive else None,
        final_test_acc=final_test,
        best_test_acc=best[1] if best else math.nan,
        final_train_acc=final_train,
        gap=final_train - final_test,
        a2_drop=a2,
        mean_stability=mean_stability(record.events),
        gap_at_best=best[2] - best[1] if best else math.nan,
    )


def bootstrap_ci(values: Sequence[float], n_boot: int = N_BOOT, seed: int = 0, level: float = 0.95) -> Interval:
    """Mean and percentile-bootstrap CI of the mean, resampling the values (runs) with a seeded generator."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("bootstrap of no values")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(n_boot, data.size))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(float(data.mean()), float(low), float(high), int(data.size))


def correlate(x: Sequence[float], y: Sequence[float]) -> Correlation | None:
    """Pearson and Kendall between paired values; None with fewer than 3 pairs or no spread."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.size < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return None
    pearson = stats.pearsonr(xs, ys)
    kendall = stats.kendalltau(xs, ys)
    slope, intercept = np.polyfit(xs, ys, 1)
    return Correlation(
        n=int(xs.size),
        pearson_r=float(pearson.statistic),
        pearson_p=float(pearson.pvalue),
        kendall_tau=float(kendall.statistic),
        kendall_p=float(kendall.pvalue),
        slope=float(slope),
        intercept=float(intercept),
    )


def welch(a: Sequence[float], b: Sequence[float]) -> WelchTest | None:
    """Welch's unequal-variance t-test and Cohen's d (pooled sd); None with fewer than 2 values a side."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if xa.size < 2 or xb.size < 2:
        return None
    result = stats.ttest_ind(xa, xb, equal_var=False)
    pooled = math.sqrt(((xa.size - 1) * xa.var(ddof=1) + (xb.size - 1) * xb.var(ddof=1)) / (xa.size + xb.size - 2))
    d = (xa.mean() - xb.mean()) / pooled if pooled > 0 else math.nan
    return WelchTest(
        t=float(result.statistic), p=float(result.pvalue), cohen_d=float(d), n_a=int(xa.size), n_b=int(xb.size)
    )


def _interval(values: list[float | None], seed: int) -> Interval | None:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return bootstrap_ci(clean, seed=seed) if clean else None


def analyze(
    records: Sequence[RunRecord],
    arm_order: Sequence[str],
    instability: str = "mean_drop",
    accuracy: str = "final_test_acc",
    correlation_arms: Sequence[str] = (),
    groups: Sequence[tuple[str, Sequence[str]]] = (),
    gap: str = "gap",
) -> SweepAnalysis:
    """Per-run and per-arm summaries, the instability-accuracy correlation, Welch tests of drops.

    The correlation takes every completed run with an instability value in `correlation_arms` (all arms when
    empty): drops are undefined for unpruned runs, Mean Stability is 100 there (method.md §4.4), so a
    stability sample includes baselines unless the preset names its arms. Works on partial sweeps: only
    completed runs enter the statistics; every figure carries its n.
    """
    if instability not in INSTABILITY_LABELS:
        raise ValueError(f"instability {instability!r} (allowed: {', '.join(INSTABILITY_LABELS)})")
    if gap not in GAP_LABELS:
        raise ValueError(f"gap {gap!r} (allowed: {', '.join(GAP_LABELS)})")
    summaries = [summarize_run(r) for r in records if r.completed]
    arms = []
    for i, arm in enumerate(arm_order):
        mine = [s for s in summaries if s.arm == arm]
        arms.append(
            ArmSummary(
                arm=arm,
                n=len(mine),
                runs=sum(1 for r in records if r.arm == arm),
                mean_drop=_interval([s.mean_drop for s in mine], i),
                final_test_acc=_interval([s.final_test_acc for s in mine], i),
                best_test_acc=_interval([s.best_test_acc for s in mine], i),
                gap=_interval([s.gap for s in mine], i),
                a2_drop=_interval([s.a2_drop for s in mine], i),
                events_per_run=float(np.mean([s.n_events for s in mine])) if mine else 0.0,
                mean_stability=_interval([s.mean_stability for s in mine], i),
                gap_at_best=_interval([s.gap_at_best for s in mine], i),
            )
        )
    pruned = [s for s in summaries if getattr(s, instability) is not None]

    def sample(arms: Sequence[str]) -> Correlation | None:
        runs = [s for s in pruned if not arms or s.arm in arms]
        return correlate([getattr(s, instability) for s in runs], [getattr(s, accuracy) for s in runs])

    correlation = sample(correlation_arms)
    return SweepAnalysis(
        groups={name: sample(arms) for name, arms in groups},
        arms=arms,
        runs=summaries,
        correlation=correlation,
        instability=instability,
        accuracy=accuracy,
        gap=gap,
        welch=event_drop_tests(records, arm_order),
    )


def event_drop_tests(records: Sequence[RunRecord], arm_order: Sequence[str], max_arms: int = 6) -> dict[str, WelchTest]:
    """Welch tests on all (run, event) drops between each pair of pruned arms (only for small sweeps)."""
    drops = {arm: [b - a for r in records if r.arm == arm and r.completed for _, b, a in r.events] for arm in arm_order}
    pruned = [arm for arm in arm_order if drops[arm]]
    if len(pruned) > max_arms:
        return {}
    tests = {}
    for i, a in enumerate(pruned):
        for b in pruned[i + 1 :]:
            test = welch(drops[a], drops[b])
            if test is not None:
                tests[f"{a} vs {b}"] = test
    return tests


def drop_curve(records: Sequence[RunRecord], positive_only: bool = False) -> dict[int, float]:
    """Per pruning epoch, the mean drop across runs; positive_only averages only drops > 0 (Fig 1 left)."""
    by_epoch: dict[int, list[float]] = {}
    for record in records:
        for epoch, before, after in record.events:
            if before - after > 0 or not positive_only:
                by_epoch.setdefault(epoch, []).append(before - after)
    return {epoch: float(np.mean(values)) for epoch, values in sorted(by_epoch.items())}


def mean_curve(records: Sequence[RunRecord], key: str = "test_acc", seed: int = 0) -> tuple[list[int], list[Interval]]:
    """Per epoch, the mean over runs with a bootstrap band (Fig 2); only epochs every run reached."""
    if not records:
        return [], []
    common = sorted(set.intersection(*(set(r.epochs) for r in records)))
    series = [dict(zip(r.epochs, getattr(r, key), strict=True)) for r in records]
    return common, [bootstrap_ci([s[e] for s in series], seed=seed + e) for e in common]


def method_label(spec: RunSpec) -> str:
    """Pruning method without its rate, e.g. "ebn-L" or "magnitude-S"; "unpruned" for baselines."""
    if spec.prune is None:
        return "unpruned"
    return f"{spec.prune.score}-{TARGET_ABBREVIATIONS[spec.prune.target]}"


def iterative_percent(spec: RunSpec) -> float | None:
    """Per-event percentage of the most-pruned layer (conv8 in Figs 3 and A2): the figures' x-axis."""
    if spec.prune is None:
        return None
    layers = plan(spec).layers
    name = max(spec.prune.layers, key=lambda n: spec.prune.fraction[spec.prune.layers.index(n)] if spec.prune else 0)
    events = layers[name]
    return float(np.mean([e.percent_of_layer for e in events])) if events else 0.0
