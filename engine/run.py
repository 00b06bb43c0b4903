"""Runs one spec with one seed: device, seeds, data, model and trainer wired together."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gst.engine import checkpoint
from gst.engine.data import class_subset, load_arrays
from gst.engine.device import memory_format, resolve_device, seed_everything, set_precision
from gst.engine.events import RunFinished, RunStarted
from gst.engine.loader import DeviceData
from gst.engine.models import build_model, count_params
from gst.engine.prune import Pruner
from gst.engine.spec import RunSpec
from gst.engine.stack import StackedTrainers, stackable
from gst.engine.train import Emit, Trainer

PRUNE_SEED_OFFSET = 1_000_003  # the pruning RNG's stream differs from the data order's


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    """One run of a sweep: a spec, a seed and the id its events carry."""

    run_id: str
    spec: RunSpec
    seed: int


def build_trainer(
    request: RunRequest,
    device: torch.device,
    data_dir: Path | None,
    checkpoint_path: Path | None = None,
    download: bool = True,
) -> Trainer:
    """Seed, load data, build model and pruner; the same seed always gives the same starting point."""
    spec, seed = request.spec, request.seed
    seed_everything(seed, spec.deterministic)
    set_precision(spec.precision)
    arrays = load_arrays(spec.dataset, data_dir, download)
    subset = class_subset(arrays.y_train, spec.examples_per_class, seed)
    data = DeviceData(arrays, subset, device)
    model = build_model(spec.model, spec.conv4_dropout).to(device, memory_format=memory_format(device, spec.precision))
    data_gen = torch.Generator(device=device).manual_seed(seed)
    prune_gen = torch.Generator().manual_seed(seed + PRUNE_SEED_OFFSET)
    pruner = Pruner(model, spec.prune, prune_gen)
    return Trainer(
        run_id=request.run_id,
        spec=spec,
        model=model,
        data=data,
        pruner=pruner,
        data_gen=data_gen,
        checkpoint_path=checkpoint_path,
    )


def execute(
    request: RunRequest,
    *,
    device: str | torch.device = "auto",
    data_dir: Path | None = None,
    emit: Emit,
    checkpoint_path: Path | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    download: bool = True,
) -> RunFinished:
    """Train one run to the end, continuing from `checkpoint_path` if it holds a checkpoint.

    Args:
        request: spec, seed and run id.
        device: a torch device or a user string (auto, cpu, cuda, cuda:N).
        data_dir: where CIFAR-10 lives (None: GST_DATA_DIR or ~/.cache/gst/data).
        emit: receives RunStarted, then Pruned/EpochEnded per epoch, then RunFinished is returned.
        checkpoint_path: a file rewritten after every epoch (None: no checkpoints).
        should_stop: polled after each epoch; True stops with KeyboardInterrupt after checkpointing.
        download: allow torchvision to download CIFAR-10 when no copy is found.
    """
    (finished,) = execute_group(
        [request],
        device=device,
        data_dir=data_dir,
        emit=emit,
        checkpoint_paths=[checkpoint_path],
        should_stop=should_stop,
        download=download,
    )
    return finished


def execute_group(
    requests: list[RunRequest],
    *,
    device: str | torch.device = "auto",
    data_dir: Path | None = None,
    emit: Emit,
    checkpoint_paths: list[Path | None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    download: bool = True,
) -> list[RunFinished]:
    """Train several runs of one spec together (seed batching), each as `execute` would train it alone.

    Runs resumed at different epochs train as separate groups; a group of one, or runs that cannot be
    stacked (dropout), train one at a time. Arguments as for `execute`, one checkpoint path per request.
    """
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    paths = checkpoint_paths or [None] * len(requests)
    trainers = []
    rngs = {}  # each run's global RNG state as it would be alone (dropout draws from it)
    for request, path in zip(requests, paths, strict=True):
        trainer = build_trainer(request, dev, data_dir, path, download)
        trainer.restore()
        emit(
            RunStarted(
                run_id=request.run_id,
                seed=request.seed,
                device=str(dev),
                params_total=count_params(trainer.model),
                epochs_total=request.spec.epochs,
                data_subset_hash=trainer.data.subset_hash,
                resumed_from_epoch=trainer.progress.epochs_done,
            )
        )
        trainers.append(trainer)
        rngs[request.run_id] = checkpoint.rng_state(trainer.data_gen, trainer.pruner.generator)
    by_epoch: dict[int, list[Trainer]] = {}
    for trainer in trainers:
        by_epoch.setdefault(trainer.progress.epochs_done, []).append(trainer)
    finished: list[RunFinished] = []
    for group in by_epoch.values():
        if len(group) > 1 and stackable(group[0].spec):
            results: Iterable[RunFinished] = StackedTrainers(group).run(emit, should_stop)
        else:
            results = (_alone(trainer, rngs[trainer.run_id], emit, should_stop) for trainer in group)
        for result in results:
            emit(result)
            finished.append(result)
    return finished


def _alone(trainer: Trainer, rng: dict[str, Any], emit: Emit, should_stop: Callable[[], bool]) -> RunFinished:
    """One run of a group trained by itself, from the RNG state it had when it was built."""
    checkpoint.restore_rng(rng, trainer.data_gen, trainer.pruner.generator)
    return trainer.run(emit, should_stop)
