"""Pruning plans computed without training: events per layer and parameters removed (`gst plan`)."""

from __future__ import annotations

from dataclasses import dataclass

from gst.engine.spec.architectures import ARCHITECTURES
from gst.engine.spec.schedule import LayerEvent, schedule
from gst.engine.spec.specs import RunSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedEvent:
    """One layer's pruning at `epoch` (= epochs completed, t + 1)."""

    epoch: int
    k: int
    alive: int
    percent_of_layer: float  # k / original units, the per-event iterative percentage


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a run will prune."""

    params_total: int
    params_removed: int
    layers: dict[str, list[PlannedEvent]]
    layer_units: dict[str, int]
    temporary: bool = False  # noise runs: targeted filters are perturbed for a window, never removed

    @property
    def percent_removed(self) -> float:
        """Filter-own parameters removed, as a percentage of the model."""
        return 100.0 * self.params_removed / self.params_total

    @property
    def moments(self) -> list[int]:
        """Distinct pruning epochs (epochs completed) over all layers."""
        return sorted({e.epoch for events in self.layers.values() for e in events})

    def to_json(self) -> dict[str, object]:
        """The `gst plan --json` shape of one arm."""
        return {
            "params_total": self.params_total,
            "params_removed": self.params_removed,
            "percent_removed": round(self.percent_removed, 4),
            "layers": {
                name: [{"epoch": e.epoch, "k": e.k, "alive": e.alive} for e in events]
                for name, events in self.layers.items()
            },
        }


def plan(spec: RunSpec) -> Plan:
    """The plan of a run spec (an unpruned spec removes nothing)."""
    arch = ARCHITECTURES[spec.model]
    layers: dict[str, list[PlannedEvent]] = {name: [] for name in (spec.prune.layers if spec.prune else ())}
    removed = 0
    events: list[LayerEvent] = [e for moment in schedule(spec).values() for e in moment]
    temporary = spec.prune is not None and spec.prune.noise is not None and spec.prune.noise.temporary
    for e in events:
        info = arch.layer(e.layer)
        removed += 0 if temporary else e.k * info.params_per_unit
        layers[e.layer].append(
            PlannedEvent(epoch=e.t + 1, k=e.k, alive=e.alive, percent_of_layer=100.0 * e.k / info.units)
        )
    units = {name: arch.layer(name).units for name in layers}
    return Plan(params_total=arch.params, params_removed=removed, layers=layers, layer_units=units, temporary=temporary)
