"""One typed row per table: the single definition the writer, the journal replay and the tests use.

A field that is not a column (or a column that is missing) is an error, never silently dropped: `from_op`
raises StoreError naming the table and the field.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields
from typing import Any, ClassVar

from gst.engine.spec.errors import StoreError
from gst.engine.spec.events import BnActivations, EpochEnded, Event, FlatnessMeasured, LayerPruned, Pruned


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepRow:
    """A `gst run` invocation, as registered before any run starts."""

    TABLE: ClassVar[str] = "sweeps"
    KEY: ClassVar[int] = 1
    sweep_id: str
    preset: str
    created_at: str
    preset_toml: str
    overrides: str | None  # JSON list of the --set items applied on top of preset_toml
    gst_version: str | None
    git_rev: str | None
    host: str | None
    device: str | None
    title: str | None
    description: str | None
    expect: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRow:
    """A run as registered (queued); its status and results change through its events."""

    TABLE: ClassVar[str] = "runs"
    KEY: ClassVar[int] = 1
    run_id: str
    sweep_id: str
    arm: str
    seed: int
    status: str
    model: str
    dataset: str
    spec_json: str
    spec_hash: str
    label: str | None
    epochs_total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochRow:
    """One epoch of one run (an EpochEnded event)."""

    TABLE: ClassVar[str] = "epochs"
    KEY: ClassVar[int] = 2
    run_id: str
    epoch: int
    lr: float
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    pre_prune_test_acc: float
    params_remaining: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneEventRow:
    """A pruning moment (a Pruned event)."""

    TABLE: ClassVar[str] = "prune_events"
    KEY: ClassVar[int] = 2
    run_id: str
    epoch: int
    acc_before: float
    acc_after: float
    drop_pp: float
    instability_rel: float
    kind: str = "prune"  # or the run's prune.noise value (noise in place of pruning)
    noised_train_forwards: int | None = None  # set when the event's noise windows close (apply_noise)
    noised_eval_forwards: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneLayerRow:
    """One layer's part of a pruning moment."""

    TABLE: ClassVar[str] = "prune_layers"
    KEY: ClassVar[int] = 3
    run_id: str
    epoch: int
    layer: str
    k_pruned: int
    alive_after: int
    score_mean: float
    score_min: float
    score_max: float
    targeted_total: int = 0  # units ever selected, this event included
    removed_total: int = 0  # units permanently removed (0 under temporary noise)
    noised_train_forwards: int | None = None  # set when this layer's noise window closes (apply_noise)
    noised_eval_forwards: int | None = None
    window_complete: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BnActivationRow:
    """Fig A1: one probed BN layer at one epoch."""

    TABLE: ClassVar[str] = "bn_activations"
    KEY: ClassVar[int] = 3
    run_id: str
    epoch: int
    layer: str
    bin_edges: list[float]
    density: list[float]
    mean: float
    std: float
    skewness: float
    kurtosis: float
    ks_distance: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FlatnessRow:
    """Curvature and flatness of one run at one measured epoch (a FlatnessMeasured event; NaN stored as NULL)."""

    TABLE: ClassVar[str] = "flatness"
    KEY: ClassVar[int] = 2
    run_id: str
    epoch: int
    method: str
    split: str
    n_examples: int
    k: int
    eigenvalues: list[float]
    residuals: list[float | None]
    steps: list[int]
    hvps: int
    eig_sum: float
    eig_sum_positive: float
    lambda_max: float
    lambda_min: float
    grad_sq_trace: float
    grad_cov_trace_centered: float
    hutchinson_trace: float | None
    tic: float | None
    eps_star: float | None
    test_loss: float
    test_acc: float
    seconds_hessian: float
    seconds_noise: float
    seconds_perturb: float
    residuals_checked: int  # leading residuals that are true products (migration 0006 appends the column)
    unresolved: int  # pairs whose residual is above residual_bound: not known to be eigenpairs (migration 0010)
    residual_bound: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PerturbationRow:
    """Test loss and accuracy at w* + eps * v_i, one row per eigenvector and eps."""

    TABLE: ClassVar[str] = "perturbation"
    KEY: ClassVar[int] = 4
    run_id: str
    epoch: int
    vec_index: int
    eps: float
    test_loss: float
    test_acc: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchRow:
    """How a sweep launched from the TUI ended (written by the app when the child exits, not journaled)."""

    TABLE: ClassVar[str] = "launches"
    KEY: ClassVar[int] = 2
    sweep_id: str
    started_at: str
    finished_at: str | None
    kind: str  # run | resume
    label: str
    command: str
    status: str  # done | failed | cancelled
    returncode: int | None
    error: str | None
    log_path: str | None


Row = (
    SweepRow
    | RunRow
    | EpochRow
    | PruneEventRow
    | PruneLayerRow
    | BnActivationRow
    | FlatnessRow
    | PerturbationRow
    | LaunchRow
)
ROW_TYPES: tuple[type[Any], ...] = (
    SweepRow, RunRow, EpochRow, PruneEventRow, PruneLayerRow, BnActivationRow, FlatnessRow, PerturbationRow, LaunchRow,
)  # fmt: skip
REGISTRATIONS: dict[str, type[Any]] = {"sweep": SweepRow, "run": RunRow}  # journal op name -> row type


def columns(row_type: type[Any]) -> tuple[str, ...]:
    """The table columns a row type writes, in order."""
    return tuple(f.name for f in fields(row_type))


def values(row: Row) -> tuple[Any, ...]:
    """The row's values in column order."""
    return astuple(row)


def from_op(kind: str, data: dict[str, Any]) -> Row:
    """The typed row of a journal registration op; StoreError on an unknown op or field."""
    row_type = REGISTRATIONS.get(kind)
    if row_type is None:
        raise StoreError(f"journal: unknown operation {kind!r} (allowed: {', '.join(REGISTRATIONS)}, event)")
    unknown = set(data) - set(columns(row_type))
    missing = set(columns(row_type)) - set(data)
    if unknown or missing:
        what = f"unknown field(s) {', '.join(sorted(unknown))}" if unknown else f"missing {', '.join(sorted(missing))}"
        raise StoreError(f"journal: {row_type.TABLE} row: {what} (columns: {', '.join(columns(row_type))})")
    return row_type(**data)


def rows_of(event: Event) -> list[Row]:
    """The measurement rows an event carries (status events change `runs` instead)."""
    if isinstance(event, EpochEnded):
        return [EpochRow(**{c: getattr(event, c) for c in columns(EpochRow)})]
    if isinstance(event, Pruned):
        moment = PruneEventRow(
            run_id=event.run_id,
            epoch=event.epoch,
            acc_before=event.acc_before,
            acc_after=event.acc_after,
            drop_pp=event.drop_pp,
            instability_rel=event.instability_rel,
            kind=event.kind,
        )
        own = [f.name for f in fields(LayerPruned)]
        layers = [
            PruneLayerRow(run_id=event.run_id, epoch=event.epoch, **{c: getattr(x, c) for c in own})
            for x in event.layers
        ]
        return [moment, *layers]
    if isinstance(event, FlatnessMeasured):
        return [flatness_row(event), *perturbation_rows(event)]
    if isinstance(event, BnActivations):
        data = {c: getattr(event, c) for c in columns(BnActivationRow)}
        data["bin_edges"], data["density"] = list(event.bin_edges), list(event.density)
        return [BnActivationRow(**data)]
    return []


def _null(value: float) -> float | None:
    """NaN (not measured) is stored as NULL."""
    return None if math.isnan(value) else value


def flatness_row(e: FlatnessMeasured) -> FlatnessRow:
    """The `flatness` row of a measurement."""
    return FlatnessRow(
        run_id=e.run_id, epoch=e.epoch, method=e.method, split=e.split, n_examples=e.count, k=len(e.eigenvalues),
        eigenvalues=list(e.eigenvalues), residuals=[_null(r) for r in e.residuals],
        residuals_checked=len(e.residuals) if e.residuals_checked is None else e.residuals_checked, steps=list(e.steps),
        hvps=e.hvps, eig_sum=e.eig_sum, eig_sum_positive=e.eig_sum_positive, lambda_max=max(e.eigenvalues),
        lambda_min=e.lambda_min, grad_sq_trace=e.grad_sq_trace, grad_cov_trace_centered=e.grad_cov_trace_centered,
        hutchinson_trace=_null(e.hutchinson_trace), tic=_null(e.tic), eps_star=_null(e.eps_star),
        test_loss=e.test_loss, test_acc=e.test_acc, seconds_hessian=e.seconds_hessian,
        seconds_noise=e.seconds_noise, seconds_perturb=e.seconds_perturb, residual_bound=e.residual_bound,
        unresolved=sum(not r <= e.residual_bound for r in e.residuals) if e.unresolved is None else e.unresolved,
    )  # fmt: skip


def perturbation_rows(e: FlatnessMeasured) -> list[PerturbationRow]:
    """One `perturbation` row per direction and evaluated eps (an `until_star` scan leaves larger |ε| out)."""
    return [
        PerturbationRow(run_id=e.run_id, epoch=e.epoch, vec_index=i, eps=eps, test_loss=loss, test_acc=acc)
        for i, (losses, accs) in enumerate(zip(e.perturb_loss, e.perturb_acc, strict=True))
        for eps, loss, acc in zip(e.eps, losses, accs, strict=True)
        if not math.isnan(loss)
    ]


EPOCH_COLUMNS = columns(EpochRow)  # what the CLI and the app show of an epoch
