"""The training loop of one run (method.md §3.1): train, test, prune the due layers, test again.

Everything outside the loop (database, progress display, UI) sees only the events it emits.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from gst.engine import checkpoint, faults
from gst.engine.cadence import CheckpointClock
from gst.engine.checkpoint import Checkpointer
from gst.engine.loader import DeviceData
from gst.engine.models import PrunableModel
from gst.engine.noise_report import emit_noise_windows
from gst.engine.optim import make_optimizer
from gst.engine.prune import Pruner
from gst.engine.spec.events import EpochEnded, Event, Pruned, RunFailed, RunFinished
from gst.engine.spec.schedule import lr_at, schedule
from gst.engine.spec.specs import RunSpec

Emit = Callable[[Event], None]


@dataclass
class Progress:
    """The loop's counters, checkpointed with the model."""

    epochs_done: int = 0
    best_test_acc: float = float("-inf")  # over epochs from the last pruning moment on
    last_test_acc: float = 0.0
    last_train_acc: float = 0.0
    seconds: float = 0.0


@dataclass
class Trainer:
    """A model, its optimizer, pruner, data and RNGs, ready to run `spec` from `progress.epochs_done`."""

    run_id: str
    spec: RunSpec
    model: PrunableModel
    data: DeviceData
    pruner: Pruner
    data_gen: torch.Generator
    checkpointer: Checkpointer | None = None
    progress: Progress = field(default_factory=Progress)

    def __post_init__(self) -> None:
        self.optimizer = make_optimizer(self.model.parameters(), self.spec)
        self.events = schedule(self.spec)
        self.last_prune_epoch = max(self.events) + 1 if self.events else 0
        # Results do not depend on it: small batches stay in CPU caches, large ones fill a GPU.
        self.eval_batch_size = self.spec.eval_batch_size(self.data.device.type)

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        """bf16 autocast when asked for, else nothing."""
        if self.spec.precision == "bf16":
            return torch.autocast(self.data.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def run(self, emit: Emit, should_stop: Callable[[], bool] = lambda: False) -> RunFinished | RunFailed:
        """Train the remaining epochs, emitting Pruned and EpochEnded per epoch, then return RunFinished.

        An epoch whose training loss is NaN or infinite ends the run there: its RunFailed (diverged) is emitted at
        once and returned; that epoch is neither tested, pruned, stored nor checkpointed.
        """
        self.start(emit)
        clock = CheckpointClock(self.checkpointer.every) if self.checkpointer else None
        for t in range(self.progress.epochs_done, self.spec.epochs):
            began = time.perf_counter()
            lr = self.set_lr(t)
            train_loss, train_acc = (0.0, 0.0) if self.skips_training(t) else self.train_epoch()
            if not math.isfinite(train_loss):
                diverged = self.diverged(t + 1, train_loss)
                emit(diverged)
                return diverged
            self.finish_epoch(t, lr, train_loss, train_acc, time.perf_counter() - began, emit)
            self.keep_state(clock is not None and clock.due())
            if should_stop():
                raise KeyboardInterrupt
        return self.finished()

    def start(self, emit: Emit) -> None:
        """Before the first epoch: the Fig A1 probe of the untrained model, if asked for."""
        if self.progress.epochs_done == 0 and 0 in self.spec.bn_probe_epochs:
            self.probe(emit, 0)

    def set_lr(self, t: int) -> float:
        """Set and return the learning rate of epoch `t` (0-based)."""
        lr = lr_at(self.spec, t)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def skips_training(self, t: int) -> bool:
        """Scratch pruning: epoch 0 prunes the untrained model without training it."""
        return self.spec.prune is not None and self.spec.prune.scratch and t == 0

    def finish_epoch(
        self, t: int, lr: float, train_loss: float, train_acc: float, train_seconds: float, emit: Emit
    ) -> None:
        """After epoch `t`'s training: test, prune the due layers and test again, emit, probe, checkpoint."""
        spec, p = self.spec, self.progress
        if spec.flatness is not None and t + 1 in spec.flatness.epochs:
            self.measure_flatness(emit, t + 1)  # before this epoch's pruning (method-later §2.1)
        began = time.perf_counter()
        pruned = None
        before = None
        if t not in self.events and spec.pre_prune_test == "every_epoch" and self.pruner.noise_open():
            # The authors test before pruning at every epoch, and noise windows count those forwards; without an
            # open window the pass would repeat the next one exactly, so it is skipped (method-later §1.2).
            _, before = self.evaluate()
        if t in self.events:
            _, before = self.evaluate()
            layers = self.pruner.apply(self.events[t])
            faults.hit("pruned")
            test_loss, test_acc = self.evaluate()
            pruned = Pruned(
                run_id=self.run_id,
                epoch=t + 1,
                acc_before=before,
                acc_after=test_acc,
                layers=tuple(layers),
                kind=self.pruner.event_kind,
            )
        else:
            test_loss, test_acc = self.evaluate()
        seconds = train_seconds + time.perf_counter() - began
        if pruned is not None:
            emit(pruned)
        emit(
            EpochEnded(
                run_id=self.run_id,
                epoch=t + 1,
                lr=lr,
                train_loss=train_loss,
                train_acc=train_acc,
                test_loss=test_loss,
                test_acc=test_acc,
                pre_prune_test_acc=before if before is not None else test_acc,
                params_remaining=self.pruner.params_remaining(),
                seconds=seconds,
            )
        )
        emit_noise_windows(self.run_id, self.pruner, emit, final=t + 1 == spec.epochs)
        if t + 1 in spec.bn_probe_epochs:
            self.probe(emit, t + 1)
        if t + 1 >= self.last_prune_epoch:
            p.best_test_acc = max(p.best_test_acc, test_acc)
        p.epochs_done, p.last_test_acc, p.last_train_acc, p.seconds = t + 1, test_acc, train_acc, p.seconds + seconds
        faults.hit("epoch_end")

    def diverged(self, epoch: int, loss: float) -> RunFailed:
        """The record of a run whose training loss at `epoch` (t + 1) was not finite."""
        return RunFailed(run_id=self.run_id, error=f"loss became {loss} at epoch {epoch}", diverged_epoch=epoch)

    def finished(self) -> RunFinished:
        """The run's final record."""
        p = self.progress
        return RunFinished(
            run_id=self.run_id,
            final_test_acc=p.last_test_acc,
            best_test_acc=p.best_test_acc,
            final_train_acc=p.last_train_acc,
            params_remaining=self.pruner.params_remaining(),
            seconds=p.seconds,
        )

    def probe(self, emit: Emit, epoch: int) -> None:
        """Emit the Fig A1 BN-activation records of the current model."""
        from gst.engine.probe import PROBE_IMAGES, bn_activations

        x = self.data.normalize(self.data.x_train[:PROBE_IMAGES])
        for record in bn_activations(self.run_id, epoch, self.model, x):
            emit(record)

    def measure_flatness(self, emit: Emit, epoch: int) -> None:
        """Emit the method-later §2 curvature and flatness record of the current model (which it leaves as is)."""
        from gst.engine.flatness.measure import measure

        assert self.spec.flatness is not None
        governed = self.pruner.governed()
        with self.pruner.noise_paused():  # its forwards are no forwards of the run: windows neither count nor noise
            emit(measure(self.run_id, epoch, self.model, governed, self.data, self.spec.flatness, self.eval_batch_size))

    def train_epoch(self) -> tuple[float, float]:
        """One pass over the shuffled train set; running-average loss and accuracy (%) over minibatches."""
        self.model.train()
        device = self.data.device
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        batches = self.data.train_batches(self.spec.resolved_batch_size, self.data_gen, self.spec.augment)
        for x, y in batches:
            with self.autocast():
                logits = self.model(x)
                loss = F.cross_entropy(logits, y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.pruner.mask_gradients()
            self.optimizer.step()
            self.pruner.enforce()
            loss_sum += loss.detach() * y.numel()  # no host sync inside the loop
            faults.hit("train_step")
            correct += (logits.argmax(1) == y).sum()
        n = self.data.train_size
        return float(loss_sum) / n, 100.0 * float(correct) / n

    @torch.inference_mode()
    def evaluate(self) -> tuple[float, float]:
        """Test loss and top-1 accuracy (%) on the full test set, eval mode."""
        self.model.eval()
        device = self.data.device
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for x, y in self.data.test_batches(self.eval_batch_size):
            with self.autocast():
                logits = self.model(x)
            loss_sum += F.cross_entropy(logits.float(), y, reduction="sum")
            correct += (logits.argmax(1) == y).sum()
        n = int(self.data.y_test.numel())
        return float(loss_sum) / n, 100.0 * float(correct) / n

    def state(self) -> dict[str, Any]:
        """Everything needed to continue exactly from here (live tensors: copy before keeping)."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": checkpoint.rng_state(self.data_gen, self.pruner.generator),
            "progress": vars(self.progress).copy(),
            "pruner": self.pruner.state_dict(),
        }

    def keep_state(self, due: bool) -> None:
        """After an epoch: snapshot the state; write it now if the interval is due or the run just ended."""
        if self.checkpointer is None:
            return
        last = self.progress.epochs_done >= self.spec.epochs
        self.checkpointer.keep(self.state(), write=due or (last and self.checkpointer.every.keep_final))

    def load(self, state: dict[str, Any]) -> None:
        """Continue from a checkpoint's state."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        checkpoint.restore_rng(state["rng"], self.data_gen, self.pruner.generator)
        self.progress = Progress(**state["progress"])
        self.pruner.load_state_dict(state.get("pruner"))
        self.pruner.refresh()
