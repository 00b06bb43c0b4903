"""Preset files: a `[base]` spec, named `[[arm]]` overrides and `seeds`, expanded into one RunSpec per arm.

Loading is strict: unknown keys, wrong types and inconsistent lists fail with the file name and dotted key.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gst.engine.spec.errors import SpecError
from gst.engine.spec.specs import RunSpec, spec_from_dict
from gst.engine.spec.validate import SEED_MAX

TOP_KEYS = ("title", "description", "expect", "source", "seeds", "base", "arm", "analysis")
FIGURES = (
    "fig1",
    "fig2",
    "fig3",
    "figA1",
    "figA2",
    "figA3",
    "curves",
    "later_curves",
    "later_scatter",
    "later_fig6",
    "later_figE",
)
INSTABILITY = ("mean_drop", "a2_drop", "mean_stability")
ACCURACY = ("final", "best")
GAP = ("final", "best_epoch")
ARM_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Arm:
    """One configuration of a sweep."""

    name: str
    spec: RunSpec
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisSpec:
    """How `gst summary` and `gst figure` read a sweep: figure style, instability and accuracy measures."""

    figure: str = "curves"  # fig1 | fig2 | fig3 | figA1 | figA2 | figA3 | curves
    # mean_drop (every event) | a2_drop (Fig A2: last event vs the epoch before) | mean_stability (later paper,
    # Mean Stability (%): lower = less stable, 100 for unpruned runs)
    instability: str = "mean_drop"
    accuracy: str = "final"  # final | best (best from the last pruning moment on)
    gap: str = "final"  # train - test at the final epoch | best_epoch: at the first epoch reaching the best accuracy
    # the correlation sample (method-later §6.22); () = every run with an instability value (baselines too
    # under mean_stability, whose unpruned value is 100)
    correlation_arms: tuple[str, ...] = ()
    correlation_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # named samples, e.g. one per architecture


@dataclass(frozen=True, slots=True, kw_only=True)
class Sweep:
    """A validated preset: arms x seeds runs, plus the text that produced it."""

    name: str
    title: str
    description: str
    expect: str
    seeds: tuple[int, ...]
    arms: tuple[Arm, ...]
    toml: str  # the source text, stored with the sweep
    overrides: tuple[str, ...] = ()  # the --set items applied on top of it, stored too
    analysis: AnalysisSpec = AnalysisSpec()

    def arm(self, name: str) -> Arm:
        """The arm called `name` (SpecError listing the arms if absent)."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise SpecError(f"{self.name}: unknown arm {name!r} (allowed: {', '.join(a.name for a in self.arms)})")


def builtin_names() -> list[str]:
    """Names of the presets shipped in gst.presets."""
    root = resources.files("gst.presets")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def preset_text(name_or_path: str) -> tuple[str, str]:
    """(name, TOML text) of a built-in preset name or a file path."""
    if name_or_path in builtin_names():
        return name_or_path, resources.files("gst.presets").joinpath(f"{name_or_path}.toml").read_text()
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise SpecError(f"{path}: no such preset file")
        try:
            return path.stem, path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise SpecError(f"{path}: not a TOML text file (byte {exc.start} is not UTF-8)") from None
        except OSError as exc:
            raise SpecError(f"{path}: cannot read ({exc.strerror})") from None
    raise SpecError(
        f"unknown preset {name_or_path!r} (allowed: {', '.join(builtin_names())}, or a path to a .toml file)"
    )


def load_preset(name_or_path: str, overrides: tuple[str, ...] = ()) -> Sweep:
    """Load, override (`key=value` with dotted keys) and validate a preset.

    Args:
        name_or_path: a built-in preset name (see `builtin_names`) or a TOML file path.
        overrides: strings such as `base.epochs=2` or `arm.prune_L.prune.retrain_period=4`.
    """
    name, text = preset_text(name_or_path)
    return parse_preset(text, name=name, overrides=overrides)


def parse_preset(text: str, *, name: str, overrides: tuple[str, ...] = ()) -> Sweep:
    """Validate preset TOML text into a Sweep."""
    where = f"{name}.toml"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: not valid TOML: {exc}") from None
    for item in overrides:
        apply_override(raw, item, where)
    for key in raw:
        if key not in TOP_KEYS:
            raise SpecError(f"{where}: {key}: unknown key (allowed: {', '.join(TOP_KEYS)})")
    base = raw.get("base")
    if not isinstance(base, dict):
        raise SpecError(f"{where}: base: missing [base] table")
    seeds = raw.get("seeds", [0])
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= SEED_MAX for s in seeds)
    ):
        raise SpecError(f"{where}: seeds: {_short(seeds)} must be a non-empty list of integers in 0..{SEED_MAX}")
    if len(set(seeds)) != len(seeds):
        raise SpecError(f"{where}: seeds: {_short(seeds)} repeats seed {repeated(seeds)} (each seed once)")
    arms = tuple(_arms(raw.get("arm"), base, where))
    texts = {k: raw.get(k, "") for k in ("title", "description", "expect")}
    for key, value in texts.items():
        if not isinstance(value, str):
            raise SpecError(f"{where}: {key}: expected a string")
    analysis = _analysis(raw.get("analysis", {}), where, {a.name for a in arms})
    return Sweep(
        name=name, seeds=tuple(seeds), arms=arms, toml=text, overrides=tuple(overrides), analysis=analysis, **texts
    )


def repeated(items: list[Any]) -> Any:
    """The first item that occurs twice (None if none does)."""
    seen = []
    for item in items:
        if item in seen:
            return item
        seen.append(item)
    return None


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _analysis(raw: object, where: str, arm_names: set[str]) -> AnalysisSpec:
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: analysis: expected a table")
    raw = dict(raw)
    samples = _correlation_samples(raw, where, arm_names)
    allowed = {"figure": FIGURES, "instability": INSTABILITY, "accuracy": ACCURACY, "gap": GAP}
    for key, value in raw.items():
        if key not in allowed:
            raise SpecError(f"{where}: analysis.{key}: unknown key (allowed: {', '.join(allowed)})")
        if value not in allowed[key]:
            raise SpecError(f"{where}: analysis.{key}: {value!r} is not allowed (allowed: {', '.join(allowed[key])})")
    return AnalysisSpec(**raw, **samples)


def _correlation_samples(raw: dict[str, Any], where: str, arm_names: set[str]) -> dict[str, Any]:
    """Pop and check `correlation_arms` (a list of arms) and `correlation_groups` (name -> list of arms)."""

    def arms(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError(f"{where}: analysis.{key}: expected a list of arm names")
        for v in value:
            if v not in arm_names:
                raise SpecError(
                    f"{where}: analysis.{key}: {v!r} is not an arm (allowed: {', '.join(sorted(arm_names))})"
                )
        return tuple(value)

    out: dict[str, Any] = {}
    if "correlation_arms" in raw:
        out["correlation_arms"] = arms("correlation_arms", raw.pop("correlation_arms"))
    if "correlation_groups" in raw:
        groups = raw.pop("correlation_groups")
        if not isinstance(groups, dict):
            raise SpecError(f"{where}: analysis.correlation_groups: expected a table of name = [arms]")
        out["correlation_groups"] = tuple((k, arms(f"correlation_groups.{k}", v)) for k, v in groups.items())
    return out


def _arms(raw_arms: Any, base: dict[str, Any], where: str) -> list[Arm]:
    if raw_arms is None:
        return [Arm(name="base", spec=spec_from_dict(base, f"{where}: base"))]
    if not isinstance(raw_arms, list) or not raw_arms:
        raise SpecError(f"{where}: arm: expected one or more [[arm]] tables")
    arms: list[Arm] = []
    for i, table in enumerate(raw_arms):
        table = dict(table)
        arm_name = table.pop("name", None)
        if not isinstance(arm_name, str) or not ARM_NAME.match(arm_name):
            raise SpecError(f"{where}: arm[{i}].name: {arm_name!r} must be letters, digits, '_', '-' or '.'")
        if any(a.name == arm_name for a in arms):
            raise SpecError(f"{where}: arm[{i}].name: {arm_name!r} is used twice")
        description = table.pop("description", "")
        merged = merge(base, table)
        arms.append(
            Arm(name=arm_name, description=str(description), spec=spec_from_dict(merged, f"{where}: arm {arm_name}"))
        )
    return arms


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `override` into a copy of `base`; `prune = false` removes pruning."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_value(text: str) -> Any:
    """A TOML value (`2`, `1e-3`, `[3, 4]`, `true`, `"ebn"`), or the bare text as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(raw: dict[str, Any], item: str, where: str) -> None:
    """Set a dotted key (`base.prune.fraction=[0.3]`, `arm.NAME.epochs=3`, `seeds=[0,1]`) in raw preset data."""
    if "=" not in item:
        raise SpecError(f"--set {item!r}: expected KEY=VALUE, for example base.epochs=2")
    key, _, text = item.partition("=")
    parts = key.strip().split(".")
    if parts[0] not in ("base", "arm", "seeds", "title", "description", "expect", "analysis") or not all(parts):
        raise SpecError(f"--set {key}: keys start with base., arm.NAME. or are seeds (for example base.epochs=2)")
    value = parse_value(text.strip())
    node: dict[str, Any] = raw
    if parts[0] == "arm":
        if len(parts) < 3:
            raise SpecError(f"--set {key}: arm keys look like arm.NAME.KEY")
        matches = [a for a in raw.get("arm", []) if a.get("name") == parts[1]]
        if not matches:
            names = ", ".join(str(a.get("name")) for a in raw.get("arm", []))
            raise SpecError(f"--set {key}: {where} has no arm {parts[1]!r} (allowed: {names})")
        node, parts = matches[0], parts[2:]
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise SpecError(f"--set {key}: {part} is not a table")
        node = child
    node[parts[-1]] = value
