"""Seed batching: the seeds of one arm train together as one vmapped network (torch.func).

Each run keeps everything it has alone: its model (whose tensors become slices of the group's stacks),
masks and pruning decisions, BN statistics, data subset and order, Adam state, RNGs and checkpoint file.
Training steps are shared; evaluation, pruning, probing and checkpoints stay per run, through the same
`Trainer` methods a single run uses. Same seed, same curves as alone, within float tolerance (the stacked
convolutions sum in a different order).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from gst.engine import faults
from gst.engine.cadence import CheckpointClock
from gst.engine.spec.errors import SpecError
from gst.engine.spec.events import RunFailed, RunFinished
from gst.engine.spec.specs import RunSpec, needs_own_loop
from gst.engine.train import Emit, Trainer


def stackable(spec: RunSpec) -> bool:
    """Dropout draws from the global RNG per model, which a vmapped step cannot reproduce: such runs go alone."""
    return not any(p > 0 for p in spec.conv4_dropout) and not needs_own_loop(spec)


class StackedTrainers:
    """N trainers of one spec, at the same epoch, trained as one network; everything else stays theirs."""

    def __init__(self, trainers: list[Trainer]) -> None:
        first = trainers[0]
        for t in trainers[1:]:
            if t.spec != first.spec or t.progress.epochs_done != first.progress.epochs_done:
                raise SpecError("seed batching: runs of one group must share their spec and epoch")
        if not stackable(first.spec):
            raise SpecError("seed batching: conv4_dropout > 0 cannot be stacked; run these seeds one at a time")
        self.trainers = trainers
        self.spec = first.spec
        models = [t.model for t in trainers]
        params, buffers = stack_module_state(models)
        self.params = {name: p.detach().requires_grad_() for name, p in params.items()}
        self.buffers = buffers
        self.base = copy.deepcopy(first.model).to("meta")  # structure only; tensors come from the stacks
        for i, model in enumerate(models):
            for name, param in model.named_parameters():
                param.data = self.params[name].detach()[i]
            for name, buffer in model.named_buffers():
                buffer.data = self.buffers[name][i]
        for t in trainers:
            t.pruner.rebind()
        self.optimizer = torch.optim.Adam(self.params.values(), lr=self.spec.lr)
        self._share_optimizer_state()
        self._governed = self._stacked_masks()

    @property
    def size(self) -> int:
        """Number of runs in the group."""
        return len(self.trainers)

    def _share_optimizer_state(self) -> None:
        """Stack the runs' Adam states (non-empty after a resume), and make each run's state a view of the stack.

        Each run's own optimizer then always holds its current state, so its checkpoint is the one it would
        write alone.
        """
        named = [dict(t.model.named_parameters()) for t in self.trainers]
        for name, stacked in self.params.items():
            members = [params[name] for params in named]
            states = [t.optimizer.state.get(p, {}) for t, p in zip(self.trainers, members, strict=True)]
            if states[0]:
                exp_avg = torch.stack([s["exp_avg"] for s in states])
                exp_avg_sq = torch.stack([s["exp_avg_sq"] for s in states])
                step = states[0]["step"].clone()
            else:
                exp_avg, exp_avg_sq = torch.zeros_like(stacked), torch.zeros_like(stacked)
                step = torch.tensor(0.0)
            self.optimizer.state[stacked] = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
            for i, (t, p) in enumerate(zip(self.trainers, members, strict=True)):
                t.optimizer.state[p] = {"step": step, "exp_avg": exp_avg[i], "exp_avg_sq": exp_avg_sq[i]}

    def _stacked_masks(self) -> dict[str, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Per pruned layer: (stacked parameter, stacked broadcastable mask) pairs."""
        first = self.trainers[0]
        names = {id(p): n for n, p in first.model.named_parameters()}
        n = self.size
        governed: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}
        for layer, pairs in first.pruner.governed().items():
            mask = self.buffers[f"mask_{layer}"]
            governed[layer] = [(self.params[names[id(p)]], mask.view(n, *view.shape)) for p, view in pairs]
        return governed

    def _active(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The pairs of layers where some run has pruned units (multiplying the others by one is wasted work)."""
        return [
            pair
            for layer, pairs in self._governed.items()
            if any(t.pruner.has_pruned(layer) for t in self.trainers)
            for pair in pairs
        ]

    def _forward(
        self, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], x: torch.Tensor
    ) -> torch.Tensor:
        """One member's logits from its slices of the stacks (vmapped over the members)."""
        return functional_call(self.base, (params, buffers), (x,))

    def _batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Each run's own next batch (its subset, order and augmentation), stacked: (N, B, 3, 32, 32), (N, B)."""
        size = self.spec.resolved_batch_size
        streams = [t.data.train_batches(size, t.data_gen, self.spec.augment) for t in self.trainers]
        for batches in zip(*streams, strict=True):
            yield torch.stack([x for x, _ in batches]), torch.stack([y for _, y in batches])

    def train_epoch(self) -> list[tuple[float, float]]:
        """One epoch of every run; per run the running-average loss and accuracy (%), as `Trainer.train_epoch`."""
        self.base.train()
        device = self.trainers[0].data.device
        loss_sum = torch.zeros(self.size, device=device)
        correct = torch.zeros(self.size, device=device, dtype=torch.long)
        active = self._active()
        forward = vmap(self._forward)
        for x, y in self._batches():
            with self.trainers[0].autocast():
                logits = forward(self.params, self.buffers, x)  # (N, B, 10)
                per_sample = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
                losses = per_sample.view(y.shape).mean(1)  # each run's own mean loss
            self.optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()  # runs share no parameter, so each gets exactly its own gradient
            with torch.no_grad():
                for param, mask in active:
                    param.grad.mul_(mask)  # type: ignore[union-attr]  # backward() just gave every parameter one
                self.optimizer.step()
                for param, mask in active:
                    param.mul_(mask)
            loss_sum += losses.detach() * y.shape[1]
            faults.hit("train_step")
            correct += (logits.argmax(2) == y).sum(1)
        n = self.trainers[0].data.train_size
        return [(float(s) / n, 100.0 * float(c) / n) for s, c in zip(loss_sum.tolist(), correct.tolist(), strict=True)]

    def run(self, emit: Emit, should_stop: Callable[[], bool] = lambda: False) -> list[RunFinished | RunFailed]:
        """Train the group's remaining epochs; every run emits exactly the events it would alone.

        A run whose training loss becomes NaN or infinite ends as it would alone (its RunFailed emitted at once);
        its slices keep riding along in the stack, which cannot shrink, but nothing of it is tested or stored.
        """
        stopped: dict[str, RunFailed] = {}
        for t in self.trainers:
            t.start(emit)
        checkpointers = [t.checkpointer for t in self.trainers if t.checkpointer]
        clock = CheckpointClock(checkpointers[0].every) if checkpointers else None
        for epoch in range(self.trainers[0].progress.epochs_done, self.spec.epochs):
            began = time.perf_counter()
            lr = [t.set_lr(epoch) for t in self.trainers][0]  # one spec, one schedule
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            if self.trainers[0].skips_training(epoch):
                results = [(0.0, 0.0)] * self.size
            else:
                results = self.train_epoch()
            shared = time.perf_counter() - began  # every run waited for the whole group's training
            for t, (loss, acc) in zip(self.trainers, results, strict=True):
                if t.run_id in stopped:
                    continue
                if not math.isfinite(loss):
                    stopped[t.run_id] = t.diverged(epoch + 1, loss)
                    emit(stopped[t.run_id])
                    continue
                t.finish_epoch(epoch, lr, loss, acc, shared, emit)
            if len(stopped) == self.size:
                break
            due = clock is not None and clock.due()  # one decision for the group: they resume together
            for t in self.trainers:
                if t.run_id not in stopped:
                    t.keep_state(due)
            if should_stop():
                raise KeyboardInterrupt
        return [stopped.get(t.run_id) or t.finished() for t in self.trainers]
