"""Writes a composed run spec back out as a preset file that loads back to the identical spec."""

from __future__ import annotations

import json
from typing import Any

from gst.engine.spec import RunSpec, spec_to_dict


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
