"""A stored sweep's preset, rebuilt from its `sweeps` row (no scipy, no torch: the app's start-up reads it)."""

from __future__ import annotations

from typing import Any

from gst.engine.spec.errors import GstError
from gst.engine.spec.preset import Sweep
from gst.engine.spec.stored import stored_sweep


def stored_preset(row: dict[str, Any]) -> Sweep:
    """The preset of a sweeps row, with the --set overrides it ran with (`gst.engine.spec.stored`)."""
    return stored_sweep(row)


def arm_order(row: dict[str, Any]) -> list[str]:
    """Arm names in the order of the sweep's preset ([] when it no longer parses)."""
    try:
        return [a.name for a in stored_preset(row).arms]
    except GstError:
        return []
