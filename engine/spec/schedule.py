"""Pruning schedules: when each layer is pruned and by how many units (method.md §3.2-§3.4).

Epoch indices here are 0-based loop indices t; a pruning event at t happens after that epoch's training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gst.engine.spec.architectures import ARCHITECTURES
from gst.engine.spec.specs import PruneSpec, RunSpec


@dataclass(frozen=True, slots=True)
class LayerEvent:
    """One layer's share of a pruning moment: prune k units at epoch index t, leaving `alive`."""

    t: int
    layer: str
    k: int
    alive: int


def event_indices(start: int, end: int, period: int) -> list[int]:
    """Epoch indices s, s+r, ... up to and including e."""
    return list(range(start, end + 1, period))


def total_to_prune(units: int, fraction: float) -> int:
    """P = N - ceil((1 - p) N), computed in float64 exactly as the authors' code."""
    return units - math.ceil((1 - fraction) * units)


def linear_to_p_counts(units: int, fraction: float, n_events: int) -> list[int]:
    """k per event when cumulative pruned after event i is floor(P i / n): p is reached at the last event."""
    total = total_to_prune(units, fraction)
    cumulative = [total * i // n_events for i in range(n_events + 1)]
    return [b - a for a, b in zip(cumulative, cumulative[1:], strict=False)]


def constant_rate_counts(units: int, fraction: float, rate: float, n_events: int) -> list[int]:
    """k per event removing `rate` of the original layer each time, capped by p (method.md §3.3)."""
    cap = total_to_prune(units, fraction)
    cumulative = [min(math.floor(j * rate * units + 1e-9), cap) for j in range(n_events + 1)]
    return [b - a for a, b in zip(cumulative, cumulative[1:], strict=False)]


def layer_events(prune: PruneSpec, index: int, units: int) -> list[LayerEvent]:
    """Events of the `index`-th layer of a prune spec; events with k = 0 are dropped."""
    times = event_indices(prune.start_epoch[index], prune.end_epoch[index], prune.retrain_period)
    if prune.mode == "constant_rate":
        counts = constant_rate_counts(units, prune.fraction[index], prune.rate[index], len(times))
    else:
        counts = linear_to_p_counts(units, prune.fraction[index], len(times))
    events, alive = [], units
    for t, k in zip(times, counts, strict=True):
        if k > 0:
            alive -= k
            events.append(LayerEvent(t=t, layer=prune.layers[index], k=k, alive=alive))
    return events


def schedule(spec: RunSpec) -> dict[int, list[LayerEvent]]:
    """All events of a run grouped by epoch index, layers in forward order."""
    if spec.prune is None:
        return {}
    arch = ARCHITECTURES[spec.model]
    by_epoch: dict[int, list[LayerEvent]] = {}
    for i, name in enumerate(spec.prune.layers):
        for event in layer_events(spec.prune, i, arch.layer(name).units):
            by_epoch.setdefault(event.t, []).append(event)
    order = {name: i for i, name in enumerate(arch.layer_names)}
    return {t: sorted(events, key=lambda e: order[e.layer]) for t, events in sorted(by_epoch.items())}


def lr_at(spec: RunSpec, t: int) -> float:
    """Learning rate used to train epoch index t: lr * 0.1^(milestones passed), stepped once per epoch.

    A scratch-pruning run skips the lr step of its untrained epoch 0 (method.md §3.4).
    """
    steps = t - 1 if spec.prune is not None and spec.prune.scratch and t > 0 else t
    passed = sum(1 for m in spec.lr_milestones if m <= steps)
    return spec.lr * 0.1**passed
