"""A stored sweep's preset, rebuilt from its `sweeps` row (no scipy, no torch: the app's start-up reads it)."""

from __future__ import annotations

import json
from typing import Any

from gst.engine.spec.errors import GstError
from gst.engine.spec.preset import Sweep, parse_preset


def stored_preset(row: dict[str, Any]) -> Sweep:
    """The preset of a sweeps row, with the --set overrides it ran with."""
    return parse_preset(row["preset_toml"], name=row["preset"], overrides=tuple(json.loads(row["overrides"] or "[]")))


def arm_order(row: dict[str, Any]) -> list[str]:
    """Arm names in the order of the sweep's preset ([] when it no longer parses)."""
    try:
        return [a.name for a in stored_preset(row).arms]
    except GstError:
        return []
