"""Applies a PruneSpec to a model: picks units at each event and keeps pruned entries exactly zero.

Pruned entries are zeroed in place and kept at zero by masking their gradients before every optimizer
step and re-zeroing after it. This trains exactly like the authors' forward masking (pruned entries get
zero gradient, the effective weight is 0) without a masked copy of every weight per forward pass.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from gst.engine.models import PrunableModel
from gst.engine.noise import NoiseInjector, WindowReport
from gst.engine.scores import expected_bn_relu, expected_bn_relu_signed, filter_l1, filter_l2, magnitude, select
from gst.engine.spec.events import LayerPruned
from gst.engine.spec.schedule import LayerEvent
from gst.engine.spec.specs import BN_SCORES, PruneSpec


class Pruner:
    """Pruning state of one run: which tensors each layer's mask governs, and the selection RNG."""

    def __init__(self, model: PrunableModel, prune: PruneSpec | None, generator: torch.Generator) -> None:
        self.model = model
        self.prune = prune
        self.generator = generator
        self._governed: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}
        self._active: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.noise = self._noise_injector()
        # A ResNet shortcut stays open where the mask only records noise targets, or with shortcut = "keep"
        # (the conv-only variant, method-later.md §6.17); parity blocks it for pruned conv2 channels (§3.2).
        if prune is not None and (prune.shortcut == "keep" or (self.noise is not None and self.noise.kind.temporary)):
            for block in getattr(model, "blocks", list)():
                block.gate_shortcut = False
        if prune is not None and prune.score == "activations":
            for block in getattr(model, "blocks", list)():
                block.track_activations = True
        self.rebind()

    def _noise_injector(self) -> NoiseInjector | None:
        """The noise windows of a `prune.noise` run (method-later.md §1); None for ordinary pruning."""
        if self.prune is None or self.prune.noise is None:
            return None
        kind = self.prune.noise
        seed = self.generator.initial_seed()
        return NoiseInjector(self.model, self.prune.layers, kind, self.prune.noise_count, seed, self.prune.noise_sigma)

    @property
    def event_kind(self) -> str:
        """ "prune", or the noise value of a noise run (the `kind` column of prune_events)."""
        return self.noise.kind.text if self.noise is not None else "prune"

    def noise_reports(self, final: bool = False) -> list[WindowReport]:
        """Noise windows closed since the last call (with `final`, also those still open)."""
        return self.noise.drain(final) if self.noise is not None else []

    def noise_open(self) -> bool:
        """Whether a noise window is open, so that the next forward would count in it."""
        return self.noise is not None and self.noise.is_open()

    def noise_paused(self) -> contextlib.AbstractContextManager[None]:
        """Forwards inside are not the run's (flatness measurements): noise windows ignore them."""
        return self.noise.paused() if self.noise is not None else contextlib.nullcontext()

    def state_dict(self) -> dict[str, object]:
        """Pruning state outside the model's buffers (noise windows and RNG); checkpointed with the model."""
        return {"noise": self.noise.state_dict() if self.noise is not None else None}

    def load_state_dict(self, state: dict[str, object] | None) -> None:
        """Inverse of `state_dict` (None or an old checkpoint without it: nothing to load)."""
        noise = (state or {}).get("noise")
        if self.noise is not None and isinstance(noise, dict):
            self.noise.load_state_dict(noise)

    def rebind(self) -> None:
        """(Re)collect the mask views of each pruned layer, e.g. after the model's tensors moved into a stack."""
        self._governed = {name: self._governed_tensors(name) for name in (self.prune.layers if self.prune else ())}
        self.refresh()

    def _governed_tensors(self, name: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(parameter, broadcastable mask view) pairs that a prune of `name` zeroes."""
        assert self.prune is not None
        layer, bn, mask = self.model.layer(name), self.model.batch_norm(name), self.model.mask(name)
        if isinstance(layer, nn.Linear):
            return [(layer.weight, mask)]
        if self.noise is not None:  # BN is never masked; only Prune_L keeps its targets at zero
            return [] if self.noise.kind.temporary else [(layer.weight, mask.view(-1, 1, 1, 1))]
        pairs: list[tuple[torch.Tensor, torch.Tensor]] = []
        if self.prune.score not in BN_SCORES:  # E[BN] disconnects the filter through BN alone (method.md §2.1)
            pairs.append((layer.weight, mask.view(-1, 1, 1, 1)))
        if bn is not None and (self.prune.score in BN_SCORES or self.prune.bn_on_prune == "mask"):
            pairs += [(bn.weight, mask), (bn.bias, mask)]
        return pairs

    def governed(self) -> dict[str, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Per pruned layer: the (parameter, broadcastable mask view) pairs its mask zeroes."""
        return self._governed

    def has_pruned(self, name: str) -> bool:
        """Whether layer `name` has any pruned unit yet."""
        return bool((self.model.mask(name) == 0).any())

    def refresh(self) -> None:
        """Recompute which layers have pruned entries (after an event or a checkpoint load) and zero them."""
        self._active = [pair for name, pairs in self._governed.items() if self.has_pruned(name) for pair in pairs]
        self.enforce()

    def mask_gradients(self) -> None:
        """Zero the gradients of pruned entries (call between backward and optimizer step)."""
        for param, mask in self._active:
            if param.grad is not None:
                param.grad.mul_(mask)

    @torch.no_grad()
    def enforce(self) -> None:
        """Zero pruned entries in place (call after each optimizer step)."""
        for param, mask in self._active:
            param.mul_(mask)

    def scores(self, name: str) -> torch.Tensor:
        """Scores of every unit of layer `name` (float64, CPU), by the spec's score."""
        assert self.prune is not None
        layer = self.model.layer(name)
        if self.prune.score == "magnitude":
            return magnitude(layer.weight)
        if self.prune.score in BN_SCORES:
            bn = self.model.batch_norm(name)
            assert bn is not None
            ebn = expected_bn_relu if self.prune.score == "ebn" else expected_bn_relu_signed
            return ebn(bn.weight, bn.bias)
        if self.prune.score == "activations":
            return self.model.activation_score(name).detach().double().cpu()  # type: ignore[operator]  # only ResNets take this score (spec check)
        if self.prune.score == "l1":
            return filter_l1(layer.weight)
        return filter_l2(layer.weight)

    @torch.no_grad()
    def apply(self, events: list[LayerEvent]) -> list[LayerPruned]:
        """Prune the layers due at this moment; scores read only alive units."""
        assert self.prune is not None
        reports = []
        for event in events:
            mask = self.model.mask(event.layer)
            flat = mask.view(-1)
            alive = torch.nonzero(flat.cpu() > 0).squeeze(1)
            scores = self.scores(event.layer)[alive]
            chosen = select(scores, event.k, self.prune.target, self.generator)
            flat[alive[chosen].to(flat.device)] = 0
            if self.noise is not None:
                self.noise.on_event(event.layer, event.t + 1, alive[chosen])
            picked = scores[chosen]
            targeted = int(flat.numel() - alive.numel() + event.k)
            reports.append(
                LayerPruned(
                    layer=event.layer,
                    k_pruned=event.k,
                    alive_after=int(alive.numel() - event.k),
                    score_mean=float(picked.mean()),
                    score_min=float(picked.min()),
                    score_max=float(picked.max()),
                    targeted_total=targeted,
                    removed_total=0 if self.noise is not None and self.noise.kind.temporary else targeted,
                )
            )
        self.refresh()
        return reports

    def params_remaining(self) -> int:
        """Model parameters minus the filter-own parameters (or weights) of pruned units."""
        total = self.model.architecture.params
        if self.noise is not None and self.noise.kind.temporary:
            return total  # targets come back after their window: nothing is removed
        for name in self._governed:
            info = self.model.architecture.layer(name)
            pruned = int((self.model.mask(name) == 0).sum())
            total -= pruned * info.params_per_unit
        return total
