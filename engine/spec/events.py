"""Plain, typed event records the training loop emits; the store, CLI and TUI consume this one stream.

Accuracies are percentages (0-100); `epoch` is the number of training epochs completed (t + 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted:
    """A run began (or resumed from `resumed_from_epoch`)."""

    run_id: str
    seed: int
    device: str
    params_total: int
    epochs_total: int
    data_subset_hash: str
    resumed_from_epoch: int = 0
    note: str = ""  # why the run did not continue from its newest checkpoint, if it did not
    backend: str = "local"  # how it executes: local (in-process or a worker process) or ray
    worker: str = ""  # e.g. "in-process", "worker 2 of 2"
    host: str = ""
    attempt: int = 1  # 1 + times its batch was resubmitted after a lost worker or node
    stacked_with: tuple[str, ...] = ()  # run ids trained in one stacked network with it (itself included)
    precision: str = ""
    threads: int = 0  # CPU intra-op threads it trains with (0: not recorded, journals of an older gst)


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochEnded:
    """One epoch's measurements; `test_acc` is measured after that epoch's pruning."""

    run_id: str
    epoch: int
    lr: float
    train_loss: float  # running average over the epoch's minibatches
    train_acc: float  # running average over the epoch's minibatches
    test_loss: float
    test_acc: float
    pre_prune_test_acc: float  # equal to test_acc on epochs without pruning
    params_remaining: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerPruned:
    """One layer's part of a pruning moment; scores are those of the pruned units."""

    layer: str
    k_pruned: int
    alive_after: int
    score_mean: float
    score_min: float
    score_max: float
    targeted_total: int = 0  # units of the layer ever selected, this event included (method-later §6.14)
    removed_total: int = 0  # units permanently removed (0 under temporary noise)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pruned:
    """A pruning moment: test accuracy right before and right after, and the layers pruned."""

    run_id: str
    epoch: int
    acc_before: float
    acc_after: float
    layers: tuple[LayerPruned, ...] = field(default_factory=tuple)
    kind: str = "prune"  # "prune", or the run's `prune.noise` value (method-later.md §1)

    @property
    def drop_pp(self) -> float:
        """Instability in percentage points (early paper)."""
        return self.acc_before - self.acc_after

    @property
    def instability_rel(self) -> float:
        """(before - after) / before (later code); 0 when before is 0."""
        return self.drop_pp / self.acc_before if self.acc_before else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BnActivations:
    """Fig A1 probe of one BN layer at `epoch` (0 = untrained): density of normalised activations."""

    run_id: str
    epoch: int
    layer: str
    bin_edges: tuple[float, ...]
    density: tuple[float, ...]
    mean: float
    std: float
    skewness: float
    kurtosis: float  # excess kurtosis (0 for a normal)
    ks_distance: float  # Kolmogorov-Smirnov statistic against N(0, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseWindowClosed:
    """How many training and eval forwards the noise window of one layer's event noised (method-later §6.11)."""

    run_id: str
    epoch: int  # the event's epoch
    layer: str
    train_forwards: int
    eval_forwards: int
    complete: bool = True  # False: cut short by a later event in the layer, or still open at the end of the run


@dataclass(frozen=True, slots=True, kw_only=True)
class FlatnessMeasured:
    """Curvature and flatness of the model at `epoch` (method-later §2), measured before that epoch's pruning.

    Eigenvalues are the k largest by |λ|, sorted by value descending, with their relative residuals
    ‖Hv − λv‖/|λ| and steps; `perturb_loss[i][j]` is the test loss at w* + eps[j]·v_i (v_i in that order).
    """

    run_id: str
    epoch: int
    method: str
    split: str
    count: int  # images the Hessian and gradient noise were measured on
    eigenvalues: tuple[float, ...]
    residuals: tuple[float, ...]
    steps: tuple[int, ...]
    hvps: int  # Hessian-vector products spent on the eigenpairs (residual check included)
    grad_sq_trace: float  # Tr C, uncentered (parity)
    grad_cov_trace_centered: float
    hutchinson_trace: float  # Tr H estimate (NaN when no probes)
    eig_sum: float
    eig_sum_positive: float
    lambda_min: float  # smallest of the k eigenvalues
    tic: float  # grad_sq_trace / eig_sum (§2.5)
    eps_star: float  # NaN when no direction reaches Δ ≥ 0.1 on the grid
    test_loss: float  # the unperturbed (ε = 0) test loss and accuracy
    test_acc: float
    residuals_checked: int | None = (
        None  # leading residuals that are true products (None: all; Lanczos: the rest estimated)
    )
    unresolved: int | None = None  # pairs whose residual is above `residual_bound` (None: an older record)
    residual_bound: float = 0.1  # engine.flatness.eigen.RESIDUAL_BOUND when measured
    eps: tuple[float, ...] = ()
    perturb_loss: tuple[tuple[float, ...], ...] = ()
    perturb_acc: tuple[tuple[float, ...], ...] = ()
    seconds_hessian: float = 0.0
    seconds_noise: float = 0.0
    seconds_perturb: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished:
    """A run completed all its epochs."""

    run_id: str
    final_test_acc: float
    best_test_acc: float  # max test accuracy from the last pruning epoch on (whole run if unpruned)
    final_train_acc: float
    params_remaining: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFailed:
    """A run stopped with an error, was interrupted by the user, or diverged (its loss became NaN or infinite).

    A diverged run is final, like a finished one: it is stored as `diverged` and no resume trains it again.
    """

    run_id: str
    error: str  # one line
    interrupted: bool = False
    diverged_epoch: int = 0  # the epoch (t + 1) whose training loss was not finite; 0: not a divergence

    @property
    def final(self) -> bool:
        """True for a divergence: the run ended, as a finished one does, and nothing can continue it."""
        return self.diverged_epoch > 0


Event = (
    RunStarted | EpochEnded | Pruned | BnActivations | NoiseWindowClosed | FlatnessMeasured | RunFinished | RunFailed
)
EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        RunStarted,
        EpochEnded,
        Pruned,
        BnActivations,
        NoiseWindowClosed,
        FlatnessMeasured,
        RunFinished,
        RunFailed,
    )
}


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict with a `type` key."""
    return {"type": type(event).__name__, **asdict(event)}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Inverse of `event_to_dict`."""
    data = dict(data)
    cls = EVENT_TYPES[data.pop("type")]
    if cls is Pruned:
        data["layers"] = tuple(LayerPruned(**layer) for layer in data["layers"])
    if cls is RunStarted and "stacked_with" in data:
        data["stacked_with"] = tuple(data["stacked_with"])
    if cls is BnActivations:
        data["bin_edges"], data["density"] = tuple(data["bin_edges"]), tuple(data["density"])
    if cls is FlatnessMeasured:
        for key in ("eigenvalues", "residuals", "steps", "eps"):
            data[key] = tuple(data.get(key, ()))
        for key in ("perturb_loss", "perturb_acc"):
            data[key] = tuple(tuple(row) for row in data.get(key, ()))
    return cls(**data)
