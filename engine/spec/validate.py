"""Strict validation of raw spec data: every problem is one SpecError naming the key, value and what is allowed."""

from __future__ import annotations

import math
from typing import Any, TypeVar

from gst.engine.spec.architectures import ARCHITECTURES, Architecture
from gst.engine.spec.datasets import TEST_PER_CLASS, test_images
from gst.engine.spec.errors import SpecError
from gst.engine.spec.noise_kind import NOISE_COUNTS, NoiseCount, NoiseKind, parse_noise
from gst.engine.spec.specs import (
    BN_ON_PRUNE,
    BN_SCORES,
    CLASS_SIZES,
    DATASETS,
    MODES,
    NOISE_SIGMAS,
    OPTIMIZERS,
    PRE_PRUNE_TESTS,
    PRECISIONS,
    SCORES,
    SHORTCUTS,
    TARGETS,
    NoiseSigma,
    PruneSpec,
    RunSpec,
    field_names,
)

PER_LAYER = ("start_epoch", "end_epoch", "fraction")
INT_MAX = 2**31 - 1  # the database's INTEGER columns; no count or index of a run comes near it
SEED_MAX = 2**32 - 1  # the largest seed numpy and torch accept from every gst seed stream
MAX_EPOCHS = 100_000
MAX_LR = 10.0  # a larger step size diverges on every model here (Adam or SGD)
MAX_WEIGHT_DECAY = 1.0
Choice = TypeVar("Choice", bound=str)


class Checker:
    """Reads typed values out of a raw dict, with errors prefixed by `where` and the dotted key."""

    def __init__(self, where: str, prefix: str) -> None:
        self.where = where
        self.prefix = prefix

    def fail(self, key: str, message: str) -> SpecError:
        """A SpecError for `key`."""
        return SpecError(f"{self.where}: {self.prefix}{key}: {message}")

    def unknown(self, raw: dict[str, Any], allowed: tuple[str, ...]) -> None:
        """Reject keys outside `allowed`."""
        for key in raw:
            if key not in allowed:
                raise self.fail(key, f"unknown key (allowed: {', '.join(allowed)})")

    def integer(self, key: str, value: Any, low: int | None = None, high: int = INT_MAX) -> int:
        """An int (not a bool), optionally >= low, and <= high."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {value!r}")
        if low is not None and value < low:
            raise self.fail(key, f"{value} must be >= {low}")
        if value > high:
            raise self.fail(key, f"{value} is too large (allowed: {'' if low is None else low}..{high})")
        return value

    def number(self, key: str, value: Any) -> float:
        """A finite float (ints accepted): TOML and --set also read `inf` and `nan`, which no key allows."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            number = math.inf
        if not math.isfinite(number):
            raise self.fail(key, f"expected a finite number, got {value!r}")
        return number

    def boolean(self, key: str, value: Any) -> bool:
        """A bool."""
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def choice(self, key: str, value: Any, allowed: tuple[Choice, ...]) -> Choice:
        """One of `allowed`."""
        for option in allowed:
            if value == option:
                return option
        raise self.fail(key, f"{value!r} is not allowed (allowed: {', '.join(allowed)})")

    def array(self, key: str, value: Any) -> list[Any]:
        """A list."""
        if not isinstance(value, list | tuple):
            raise self.fail(key, f"expected a list, got {value!r}")
        return list(value)


def check_run(raw: dict[str, Any], where: str) -> RunSpec:
    """Validate a whole run spec (the `[base]` table after arm overrides)."""
    c = Checker(where, "")
    c.unknown(raw, field_names(RunSpec))
    d = RunSpec()
    model = c.choice("model", raw.get("model", d.model), tuple(ARCHITECTURES))
    dataset = c.choice("dataset", raw.get("dataset", d.dataset), DATASETS)
    epc = c.integer("examples_per_class", raw.get("examples_per_class", d.examples_per_class), 1)
    if epc > CLASS_SIZES[dataset]:
        raise c.fail(
            "examples_per_class", f"{epc} is larger than a {dataset} class ({CLASS_SIZES[dataset]} train images)"
        )
    epochs = c.integer("epochs", raw.get("epochs", d.epochs), 1, MAX_EPOCHS)
    lr = c.number("lr", raw.get("lr", d.lr))
    if not 0 < lr <= MAX_LR:
        raise c.fail("lr", f"{lr} must be > 0 and <= {MAX_LR:g}")
    milestones = tuple(
        c.integer(f"lr_milestones[{i}]", m, 1, MAX_EPOCHS)
        for i, m in enumerate(c.array("lr_milestones", raw.get("lr_milestones", [])))
    )
    if any(b <= a for a, b in zip(milestones, milestones[1:], strict=False)):
        raise c.fail("lr_milestones", f"{list(milestones)} must be strictly increasing")
    batch = raw.get("batch_size", d.batch_size)
    if batch != "auto":
        batch = (
            c.integer("batch_size", batch, 1)
            if not isinstance(batch, str)
            else c.choice("batch_size", batch, ("auto",))
        )
    dropout = tuple(
        c.number(f"conv4_dropout[{i}]", v) for i, v in enumerate(c.array("conv4_dropout", raw.get("conv4_dropout", [])))
    )
    if dropout and (model != "conv4" or len(dropout) != 3 or not all(0 <= v < 1 for v in dropout)):
        raise c.fail("conv4_dropout", f"{list(dropout)}: needs model = conv4 and three values in [0, 1)")
    probes = tuple(
        c.integer(f"bn_probe_epochs[{i}]", v, 0)
        for i, v in enumerate(c.array("bn_probe_epochs", raw.get("bn_probe_epochs", [])))
    )
    if probes and (
        not any(x.has_bn for x in ARCHITECTURES[model].layers)
        or max(probes) > epochs
        or len(set(probes)) != len(probes)
    ):
        raise c.fail(
            "bn_probe_epochs",
            f"{list(probes)}: needs a model with BN (vgg11, vgg19) and distinct epochs in 0..{epochs}",
        )
    optimizer = c.choice("optimizer", raw.get("optimizer", d.optimizer), OPTIMIZERS)
    momentum = c.number("momentum", raw.get("momentum", d.momentum))
    if not 0 <= momentum < 1:
        raise c.fail("momentum", f"{momentum} is outside [0, 1)")
    if momentum and optimizer != "sgd":
        raise c.fail("momentum", f'only used with optimizer = "sgd" (optimizer is {optimizer!r})')
    weight_decay = c.number("weight_decay", raw.get("weight_decay", d.weight_decay))
    if not 0 <= weight_decay <= MAX_WEIGHT_DECAY:
        raise c.fail("weight_decay", f"{weight_decay} must be >= 0 and <= {MAX_WEIGHT_DECAY:g}")
    test_batch = c.integer("test_batch_size", raw.get("test_batch_size", d.test_batch_size), 0)
    test_per_class = check_test_per_class(raw.get("test_per_class", d.test_per_class), dataset, c)
    prune_raw = raw.get("prune")
    prune = None
    if prune_raw is not None and prune_raw is not False:
        if not isinstance(prune_raw, dict):
            raise c.fail("prune", "expected a table (or false for an unpruned run)")
        prune = check_prune(prune_raw, ARCHITECTURES[model], epochs, Checker(where, "prune."))
    flatness = None
    if raw.get("flatness") is not None:
        from gst.engine.spec.validate_flatness import check_flatness

        flatness = check_flatness(
            raw["flatness"], ARCHITECTURES[model], dataset, epochs, Checker(where, "flatness."),
            test_count=test_images(dataset, test_per_class), prune=prune,
        )  # fmt: skip
    return RunSpec(
        model=model,
        dataset=dataset,
        examples_per_class=epc,
        augment=c.boolean("augment", raw.get("augment", d.augment)),
        epochs=epochs,
        lr=lr,
        lr_milestones=milestones,
        optimizer=optimizer,
        momentum=momentum,
        weight_decay=weight_decay,
        test_batch_size=test_batch,
        test_per_class=test_per_class,
        pre_prune_test=c.choice("pre_prune_test", raw.get("pre_prune_test", d.pre_prune_test), PRE_PRUNE_TESTS),
        batch_size=batch,
        conv4_dropout=dropout,
        deterministic=c.boolean("deterministic", raw.get("deterministic", d.deterministic)),
        precision=c.choice("precision", raw.get("precision", d.precision), PRECISIONS),
        bn_probe_epochs=probes,
        prune=prune,
        flatness=flatness,
    )


def check_test_per_class(value: Any, dataset: str, c: Checker) -> int:
    """`test_per_class`: 0 (the whole test split) or a class-balanced subset no larger than a class."""
    per_class = c.integer("test_per_class", value, 0)
    most = TEST_PER_CLASS[dataset]
    if per_class > most:
        raise c.fail("test_per_class", f"{per_class} is larger than a {dataset} test class (allowed: 0..{most})")
    return per_class


def check_prune(raw: dict[str, Any], arch: Architecture, epochs: int, c: Checker) -> PruneSpec:
    """Validate a `[prune]` table against the model and the run length."""
    c.unknown(raw, field_names(PruneSpec))
    for key in ("layers", "score", "target", *PER_LAYER, "retrain_period"):
        if key not in raw:
            raise c.fail(key, "missing (required in a prune table)")
    layers = tuple(str(x) for x in c.array("layers", raw["layers"]))
    if not layers:
        raise c.fail("layers", "must name at least one layer")
    score = c.choice("score", raw["score"], SCORES)
    for i, name in enumerate(layers):
        if name not in arch.layer_names:
            raise c.fail(
                f"layers[{i}]", f"{name!r} is not a layer of {arch.name} (allowed: {', '.join(arch.layer_names)})"
            )
        allowed = arch.layer(name).scores
        if score not in allowed:
            raise c.fail("score", f"{score!r} cannot prune {arch.name}.{name} (allowed there: {', '.join(allowed)})")
    if len(set(layers)) != len(layers):
        raise c.fail("layers", f"{list(layers)} names a layer twice")
    n = len(layers)
    starts = tuple(
        c.integer(f"start_epoch[{i}]", v, 0) for i, v in enumerate(c.array("start_epoch", raw["start_epoch"]))
    )
    ends = tuple(c.integer(f"end_epoch[{i}]", v, 0) for i, v in enumerate(c.array("end_epoch", raw["end_epoch"])))
    fracs = tuple(c.number(f"fraction[{i}]", v) for i, v in enumerate(c.array("fraction", raw["fraction"])))
    for key, values in (("start_epoch", starts), ("end_epoch", ends), ("fraction", fracs)):
        if len(values) != n:
            raise c.fail(key, f"has {len(values)} values but layers has {n} (one per layer)")
    for i in range(n):
        if starts[i] > ends[i]:
            raise c.fail(f"start_epoch[{i}]", f"{starts[i]} is after end_epoch[{i}] = {ends[i]} (need s <= e)")
        if ends[i] >= epochs:
            raise c.fail(
                f"end_epoch[{i}]", f"{ends[i]} is not an epoch index of a {epochs}-epoch run (allowed: 0..{epochs - 1})"
            )
        if not 0 <= fracs[i] < 1:
            raise c.fail(f"fraction[{i}]", f"{fracs[i]} is outside [0, 1)")
    mode = c.choice("mode", raw.get("mode", "linear_to_p"), MODES)
    rates = tuple(c.number(f"rate[{i}]", v) for i, v in enumerate(c.array("rate", raw.get("rate", []))))
    if mode == "constant_rate":
        if len(rates) != n:
            raise c.fail("rate", f"has {len(rates)} values but layers has {n} (constant_rate needs one rate per layer)")
        for i, v in enumerate(rates):
            if not 0 < v <= 1:
                raise c.fail(f"rate[{i}]", f"{v} is outside (0, 1]")
    elif rates:
        raise c.fail("rate", 'only used with mode = "constant_rate"')
    bn = c.choice("bn_on_prune", raw.get("bn_on_prune", "mask"), BN_ON_PRUNE)
    if bn == "keep" and score not in ("l2", "l1"):
        raise c.fail("bn_on_prune", f'"keep" applies to l2/l1 filter pruning only; {score} needs "mask"')
    scratch = c.boolean("scratch", raw.get("scratch", False))
    if scratch and any(s != 0 for s in starts):
        raise c.fail("scratch", "scratch pruning needs start_epoch = 0 for every layer")
    noise, noise_count, noise_sigma = check_noise(raw, arch, layers, score, scratch, c)
    shortcut = c.choice("shortcut", raw.get("shortcut", "block"), SHORTCUTS)
    if shortcut != "block" and not arch.name.startswith("resnet"):
        raise c.fail(
            "shortcut", f'{shortcut!r} applies to ResNet block shortcuts; {arch.name} has none (allowed: "block")'
        )
    return PruneSpec(
        layers=layers,
        score=score,
        target=c.choice("target", raw["target"], TARGETS),
        start_epoch=starts,
        end_epoch=ends,
        fraction=fracs,
        retrain_period=c.integer("retrain_period", raw["retrain_period"], 1),
        mode=mode,
        rate=rates,
        bn_on_prune=bn,
        scratch=scratch,
        noise=noise,
        noise_count=noise_count,
        noise_sigma=noise_sigma,
        shortcut=shortcut,
    )


def check_noise(
    raw: dict[str, Any], arch: Architecture, layers: tuple[str, ...], score: str, scratch: bool, c: Checker
) -> tuple[NoiseKind | None, NoiseCount, NoiseSigma]:
    """`prune.noise`, `prune.noise_count` and `prune.noise_sigma` (method-later.md §1, §6.11, §6.12): filter
    scores on conv layers only; a non-default count or σ without the noise that uses it is a mistake."""
    noise = raw.get("noise", "")
    count = c.choice("noise_count", raw.get("noise_count", "forwards"), NOISE_COUNTS)
    sigma = c.choice("noise_sigma", raw.get("noise_sigma", "first_alive"), NOISE_SIGMAS)
    if noise == "":
        if count != "forwards":
            raise c.fail("noise_count", "only used with a prune.noise variant")
        if sigma != "first_alive":
            raise c.fail("noise_sigma", "only used with prune.noise = iter_{B}_gaussian")
        return None, count, sigma
    if not isinstance(noise, str):
        raise c.fail("noise", f"expected a string, got {noise!r}")
    try:
        kind = parse_noise(noise)
    except ValueError as exc:
        raise c.fail("noise", str(exc)) from None
    if sigma != "first_alive" and kind.step != "gaussian":
        raise c.fail("noise_sigma", f"only used with prune.noise = iter_{{B}}_gaussian (noise is {noise!r})")
    for i, name in enumerate(layers):
        if not arch.layer(name).structured:
            convs = ", ".join(x.name for x in arch.layers if x.structured)
            raise c.fail(f"layers[{i}]", f"noise {noise!r} needs conv filters; {name!r} is not one (allowed: {convs})")
    if score == "magnitude" or score in BN_SCORES:
        raise c.fail("score", f"{score!r} cannot select noise targets (allowed with noise: l2, l1, activations)")
    if scratch:
        raise c.fail("scratch", "cannot be combined with a noise variant (allowed: false)")
    return kind, count, sigma
