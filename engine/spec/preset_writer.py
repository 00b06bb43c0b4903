"""Writes a composed run spec back out as a preset file that loads back to the identical spec."""

from __future__ import annotations

import json
from typing import Any

from gst.engine.spec.specs import RunSpec, spec_to_dict


def toml_value(value: Any) -> str:
    """A TOML literal for a str, bool, int, float or list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML literal for {value!r}")


def preset_toml(spec: RunSpec, *, seeds: tuple[int, ...], title: str, description: str = "", expect: str = "") -> str:
    """One-arm preset text: [base] with every field, [base.prune] when pruning, [base.flatness] when measuring."""
    lines = [
        f"title = {toml_value(title)}",
        f"description = {toml_value(description)}",
        f"expect = {toml_value(expect)}",
        f"seeds = {toml_value(list(seeds))}",
        "",
        "[base]",
    ]
    data = spec_to_dict(spec)
    prune = data.pop("prune")
    flatness = data.pop("flatness", None)
    lines += [f"{key} = {toml_value(value)}" for key, value in data.items()]
    if prune is not None:
        lines += ["", "[base.prune]"]
        if not prune.get("noise"):  # permanent pruning: the noise keys are not used (and not allowed)
            prune = {k: v for k, v in prune.items() if k not in ("noise", "noise_count")}
        lines += [f"{key} = {toml_value(value)}" for key, value in prune.items() if not (key == "rate" and not value)]
    if flatness is not None:
        lines += ["", "[base.flatness]"] + [f"{key} = {toml_value(value)}" for key, value in flatness.items()]
    return "\n".join(lines) + "\n"


def arms_toml(
    arms: list[tuple[str, RunSpec]], *, seeds: tuple[int, ...], title: str, description: str = "", expect: str = ""
) -> str:
    """Several named arms: `[base]` is the first pruned arm (else the first), each `[[arm]]` lists what differs."""
    if len(arms) == 1:
        return preset_toml(arms[0][1], seeds=seeds, title=title, description=description, expect=expect)
    base_spec = next((spec for _, spec in arms if spec.prune is not None), arms[0][1])
    lines = preset_toml(base_spec, seeds=seeds, title=title, description=description, expect=expect).splitlines()
    base = spec_to_dict(base_spec)
    base_prune = base.pop("prune")
    for name, spec in arms:
        data = spec_to_dict(spec)
        prune = data.pop("prune")
        lines += ["", "[[arm]]", f"name = {toml_value(name)}"]
        lines += [f"{key} = {toml_value(value)}" for key, value in data.items() if base.get(key) != value]
        if prune is None:
            if base_prune is not None:
                lines.append("prune = false")
            continue
        for key, value in prune.items():
            if (base_prune or {}).get(key) != value and not (key == "rate" and not value):
                lines.append(f"prune.{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"
