"""Frozen, typed run specs and their strict validation (torch-free).

A `RunSpec` describes one training run completely except for its seed; seeds are replicates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from gst.engine.spec.noise_kind import NoiseCount, NoiseKind

Score = Literal["magnitude", "l2", "ebn", "l1", "ebn_alt", "activations"]
Target = Literal["small", "large", "random"]
Mode = Literal["linear_to_p", "constant_rate"]
BnOnPrune = Literal["mask", "keep"]
Precision = Literal["fp32", "tf32", "bf16"]
NoiseSigma = Literal["first_alive", "all_alive"]
Shortcut = Literal["block", "keep"]
PrePruneTest = Literal["pruning_epochs", "every_epoch"]

SCORES: tuple[Score, ...] = ("magnitude", "l2", "ebn", "l1", "ebn_alt", "activations")
BN_SCORES = ("ebn", "ebn_alt")  # the mask lives on the BN: gamma/beta zeroed, conv filter left as is
OPTIMIZERS = ("adam", "sgd")
TARGETS: tuple[Target, ...] = ("small", "large", "random")
MODES: tuple[Mode, ...] = ("linear_to_p", "constant_rate")
BN_ON_PRUNE: tuple[BnOnPrune, ...] = ("mask", "keep")
NOISE_SIGMAS: tuple[NoiseSigma, ...] = (
    "first_alive",
    "all_alive",
)  # Gaussian noise σ: the first never-selected filter (parity) or all
SHORTCUTS: tuple[Shortcut, ...] = (
    "block",
    "keep",
)  # ResNet: a pruned conv2 channel blocks the shortcut too (parity) or keeps it
# When the test pass before pruning runs: only at epochs with a pruning event (gst's default, the early paper's
# loop), or at every epoch as the authors' later configs (`pre_prune_acc=True`); noise windows count it.
PRE_PRUNE_TESTS: tuple[PrePruneTest, ...] = ("pruning_epochs", "every_epoch")
DATASETS = ("cifar10", "synthetic")
PRECISIONS: tuple[Precision, ...] = ("fp32", "tf32", "bf16")
# Train images per class in each data set (a subset may not ask for more).
CLASS_SIZES = {"cifar10": 5000, "synthetic": 1000}
TARGET_ABBREVIATIONS = {"small": "S", "large": "L", "random": "R"}
FlatnessMethod = Literal["lanczos", "power_parity"]
FlatnessSplit = Literal["test", "train"]
FLATNESS_METHODS: tuple[FlatnessMethod, ...] = ("lanczos", "power_parity")
FLATNESS_SPLITS: tuple[FlatnessSplit, ...] = ("test", "train")
FlatnessScan = Literal["until_star", "full"]
FLATNESS_SCANS: tuple[FlatnessScan, ...] = ("until_star", "full")
# method-later §2.4: round(linspace(-0.4, 0.4, 81), 2), 0 included
PARITY_EPS = tuple(round(-0.4 + 0.01 * i, 2) + 0.0 for i in range(81))


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneSpec:
    """A pruning schedule: per-layer start/end epoch (0-based indices) and fraction, one retrain period."""

    layers: tuple[str, ...]
    score: Score
    target: Target
    start_epoch: tuple[int, ...]  # epoch index s: first pruning at the end of epoch index s
    end_epoch: tuple[int, ...]  # epoch index e: last possible pruning event (inclusive)
    fraction: tuple[float, ...]  # p: fraction of the layer's units pruned by the end (cap in constant_rate)
    retrain_period: int  # r: epochs between events of a layer
    mode: Mode = "linear_to_p"
    rate: tuple[float, ...] = ()  # constant_rate only: fraction of the original layer per event
    bn_on_prune: BnOnPrune = "mask"  # l2/random filter pruning: zero BN gamma/beta too ("mask") or not
    scratch: bool = False  # prune the freshly initialised model at index 0, skip that epoch's training
    noise: NoiseKind | None = None  # None: prune; else Prune_L | iter_{B}_zeroing | iter_{B}_gaussian | cumu_…
    noise_count: NoiseCount = "forwards"  # what B counts: every forward (parity) or training batches only
    noise_sigma: NoiseSigma = "first_alive"  # gaussian σ: std of the first never-selected filter, or of all of them
    shortcut: Shortcut = "block"  # ResNet: "block" zeroes a pruned conv2 channel's shortcut too; "keep": conv only


@dataclass(frozen=True, slots=True, kw_only=True)
class FlatnessSpec:
    """Curvature and flatness measurements (method-later §2): when, on which images, by which method."""

    epochs: tuple[int, ...]  # row epochs (t + 1): measured after that epoch's training, before its pruning
    k: int = 100  # Hessian eigenpairs, largest |λ| first, stored sorted by value
    split: FlatnessSplit = "test"  # "test": the first `count` test images (parity); "train": a seeded subset
    count: int = 512  # images the Hessian and gradient noise are measured on
    method: FlatnessMethod = "lanczos"  # or "power_parity": the authors' 20-step deflated power iteration
    eps: tuple[float, ...] = PARITY_EPS  # ε grid of the perturbation table (raw L2 steps along unit eigenvectors)
    vectors: int = 10  # perturbation directions: the first eigenvectors in sorted order
    eps_scan: FlatnessScan = (
        "until_star"  # "until_star": |ε| upward, stop once ε* is found (exact ε*); "full": the grid
    )
    hutchinson: int = 32  # Rademacher probes for Hutchinson's Tr H (0 = skip)
    steps: int = 0  # power_parity: steps per pair (0 = 20); lanczos: largest basis (0 = max(3k, k + 60))
    tol: float = 0.0  # power_parity: relative change (0 = 1e-4); lanczos: residual estimate (0 = 1e-3)
    seed: int = 0  # start vectors, Hutchinson probes and the train subset


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSpec:
    """Everything that defines one run except its seed."""

    model: str = "vgg11"
    dataset: str = "cifar10"
    examples_per_class: int = 5000  # class-balanced train subset size
    augment: bool = False  # 4-pixel padded random crop + horizontal flip
    epochs: int = 325
    lr: float = 1e-3  # Adam
    lr_milestones: tuple[int, ...] = ()  # epoch indices where lr is multiplied by 0.1
    optimizer: str = "adam"  # adam | sgd (method-later.md §3.4)
    momentum: float = 0.0  # sgd only (0.9 in the later paper), not Nesterov
    weight_decay: float = 0.0  # L2 on all parameters (BN and masked ones too)
    test_batch_size: int = 0  # 0: the device's default; noise windows counting forwards depend on it
    test_per_class: int = 0  # 0: the whole test split; else a class-balanced subset (a deviation from the paper)
    pre_prune_test: PrePruneTest = "pruning_epochs"  # or "every_epoch": two test passes each epoch (later configs)
    batch_size: int | Literal["auto"] = 128  # "auto" = max(1, round(n_train / 391)), method.md §5
    conv4_dropout: tuple[float, ...] = ()  # () or (p_block1, p_block2, p_fc1), method.md §1.2
    deterministic: bool = False
    precision: Precision = "fp32"
    bn_probe_epochs: tuple[int, ...] = ()  # Fig A1: probe BN activations after these epochs (0 = untrained)
    prune: PruneSpec | None = None
    flatness: FlatnessSpec | None = None  # method-later §2 measurements (later_fig6, later_figE)

    @property
    def train_size(self) -> int:
        """Number of training images."""
        return self.examples_per_class * 10

    @property
    def resolved_batch_size(self) -> int:
        """The batch size actually used (the subset rule when "auto")."""
        if self.batch_size == "auto":
            return max(1, round(self.train_size / 391))
        return self.batch_size

    def eval_batch_size(self, device_type: str) -> int:
        """Test images per eval forward: `test_batch_size`, else 1024 on a GPU and 128 elsewhere (results do not
        depend on it, but noise windows that count forwards do)."""
        return self.test_batch_size or (1024 if device_type == "cuda" else 128)

    @property
    def label(self) -> str:
        """Short human label such as "ebn-S r=40" or "unpruned"."""
        if self.prune is None:
            return "unpruned"
        p = self.prune
        options = (" sigma=all_alive" if p.noise_sigma != "first_alive" else "") + (
            " shortcut=keep" if p.shortcut != "block" else ""
        )
        if p.noise is not None:
            return f"{p.noise.text} r={p.retrain_period}{options}"
        return f"{p.score}-{TARGET_ABBREVIATIONS[p.target]} r={p.retrain_period}{options}"


def needs_own_loop(spec: RunSpec) -> bool:
    """Runs that seed batching does not stack: SGD, noise windows, ResNets (block masks, activation EMAs)."""
    noise = spec.prune is not None and spec.prune.noise is not None
    return spec.optimizer != "adam" or spec.weight_decay > 0 or noise or spec.model.startswith("resnet")


def spec_to_dict(spec: RunSpec) -> dict[str, Any]:
    """A JSON-ready dict (tuples become lists; the noise kind is its text, "" for none), as spec files write it."""
    data: dict[str, Any] = json.loads(json.dumps(asdict(spec)))
    if spec.prune is not None:
        data["prune"]["noise"] = spec.prune.noise.text if spec.prune.noise is not None else ""
    return data


# Prune options added after specs were first stored: left out of the hash at their defaults, so the hash of
# an older spec does not change.
LATER_PRUNE_DEFAULTS = {"noise_sigma": "first_alive", "shortcut": "block"}


def spec_hash(spec: RunSpec) -> str:
    """sha256 (16 hex) over the canonical JSON of the spec's non-default fields."""
    full = spec_to_dict(spec)
    default = spec_to_dict(RunSpec())
    diff = {k: v for k, v in full.items() if default.get(k) != v}
    if isinstance(diff.get("prune"), dict):
        diff["prune"] = {k: v for k, v in diff["prune"].items() if LATER_PRUNE_DEFAULTS.get(k, object()) != v}
    text = json.dumps(diff, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def spec_from_dict(raw: dict[str, Any], where: str = "spec") -> RunSpec:
    """Build and validate a RunSpec from plain data (TOML or JSON); raise SpecError naming the key."""
    from gst.engine.spec.validate import check_run

    return check_run(raw, where)


def field_names(cls: type) -> tuple[str, ...]:
    """Field names of a spec dataclass."""
    return tuple(f.name for f in fields(cls))
