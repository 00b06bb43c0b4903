"""A stored sweep's preset, rebuilt from its `sweeps` row: the preset text and the --set overrides it ran with.

Torch-free and store-free, so that the store's checks (`gst check`) and the reports rebuild it the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gst.engine.spec.preset import Sweep, parse_preset


def stored_sweep(row: Mapping[str, Any]) -> Sweep:
    """The preset of a sweeps row (`preset`, `preset_toml`, `overrides`), validated as when it ran."""
    return parse_preset(row["preset_toml"], name=row["preset"], overrides=tuple(json.loads(row["overrides"] or "[]")))
