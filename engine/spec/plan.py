"""Pruning plans computed without training: events per layer and parameters removed (`gst plan`)."""

from __future__ import annotations

from dataclasses import dataclass

from gst.engine.spec.architectures import ARCHITECTURES, Architecture, LayerInfo
from gst.engine.spec.noise_plan import PlannedWindow, planned_windows
from gst.engine.spec.schedule import LayerEvent, layer_events, schedule
from gst.engine.spec.specs import BN_SCORES, PruneSpec, RunSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedEvent:
    """One layer's pruning at `epoch` (= epochs completed, t + 1)."""

    epoch: int
    k: int
    alive: int
    percent_of_layer: float  # k / original units, the per-event iterative percentage
    window: PlannedWindow | None = None  # temporary noise: the forwards its window will noise


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
            "layers": {name: [event_json(e) for e in events] for name, events in self.layers.items()},
        }


def event_json(e: PlannedEvent) -> dict[str, object]:
    """One event of `gst plan --json`, with its noise window's forwards (as `prune_layers` stores them)."""
    data: dict[str, object] = {"epoch": e.epoch, "k": e.k, "alive": e.alive}
    if e.window is not None:
        data |= {
            "noised_train_forwards": e.window.train_forwards,
            "noised_eval_forwards": e.window.eval_forwards,
            "window_complete": e.window.complete,
        }
    return data


def plan(spec: RunSpec, device_type: str = "cpu") -> Plan:
    """The plan of a run spec (an unpruned spec removes nothing); noise windows as on a `device_type` device
    (which matters only where `test_batch_size` = 0 leaves the test batch to the device)."""
    arch = ARCHITECTURES[spec.model]
    layers: dict[str, list[PlannedEvent]] = {name: [] for name in (spec.prune.layers if spec.prune else ())}
    removed = 0
    events: list[LayerEvent] = [e for moment in schedule(spec).values() for e in moment]
    temporary = spec.prune is not None and spec.prune.noise is not None and spec.prune.noise.temporary
    windows = {(w.epoch, w.layer): w for w in planned_windows(spec, device_type)}
    for e in events:
        info = arch.layer(e.layer)
        removed += 0 if temporary else e.k * info.params_per_unit
        layers[e.layer].append(
            PlannedEvent(
                epoch=e.t + 1,
                k=e.k,
                alive=e.alive,
                percent_of_layer=100.0 * e.k / info.units,
                window=windows.get((e.t + 1, e.layer)),
            )
        )
    units = {name: arch.layer(name).units for name in layers}
    return Plan(params_total=arch.params, params_removed=removed, layers=layers, layer_units=units, temporary=temporary)


def masked_per_unit(layer: LayerInfo, prune: PruneSpec) -> int:
    """Parameters one pruned unit of `layer` holds at zero (what its mask governs, engine.prune): the filter's
    weights and, where BN is masked, γ and β (never the bias); one weight of a linear layer; nothing under
    temporary noise, and the conv weights alone under `Prune_L`."""
    if not layer.structured:
        return 1
    weights = layer.in_features * layer.kernel**2
    if prune.noise is not None:
        return 0 if prune.noise.temporary else weights
    bn = 2 if layer.has_bn and (prune.score in BN_SCORES or prune.bn_on_prune == "mask") else 0
    return (0 if prune.score in BN_SCORES else weights) + bn


def alive_coordinates(arch: Architecture, prune: PruneSpec | None, epoch: int) -> int:
    """Parameters the flatness Hessian acts on at row epoch `epoch`, measured before that epoch's pruning: the
    model's parameters less those masked by the events of earlier epochs (the operator's dimension)."""
    alive = arch.params
    for i, name in enumerate(prune.layers if prune else ()):
        assert prune is not None
        info = arch.layer(name)
        alive -= sum(e.k for e in layer_events(prune, i, info.units) if e.t + 1 < epoch) * masked_per_unit(info, prune)
    return alive
