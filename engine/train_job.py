"""Runs one spec with one seed: device, seeds, data, model and trainer wired together."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

from gst.engine import checkpoint, faults
from gst.engine.checkpoint import Checkpointer
from gst.engine.data import class_subset, load_arrays
from gst.engine.device import memory_format, resolve_device, seed_everything, set_precision
from gst.engine.loader import DeviceData
from gst.engine.models import build_model, count_params
from gst.engine.prune import Pruner
from gst.engine.spec.datasets import TEST_SUBSET_SEED
from gst.engine.spec.events import RunFailed, RunFinished, RunStarted
from gst.engine.spec.job import DEFAULT_THREADS, Job, Where
from gst.engine.spec.journal import HOST
from gst.engine.stack import StackedTrainers, stackable
from gst.engine.train import Emit, Trainer

PRUNE_SEED_OFFSET = 1_000_003  # the pruning RNG's stream differs from the data order's


def build_trainer(
    request: Job,
    device: torch.device,
    data_dir: Path | None,
    checkpointer: Checkpointer | None = None,
    download: bool = True,
) -> Trainer:
    """Seed, load data, build model and pruner; the same seed always gives the same starting point."""
    spec, seed = request.spec, request.seed
    seed_everything(seed, spec.deterministic)
    set_precision(spec.precision)
    arrays = load_arrays(spec.dataset, data_dir, download)
    subset = class_subset(arrays.y_train, spec.examples_per_class, seed)
    # A test subset is one draw for every run (TEST_SUBSET_SEED), so arms and seeds are tested on the same images.
    test = class_subset(arrays.y_test, spec.test_per_class, TEST_SUBSET_SEED) if spec.test_per_class else None
    data = DeviceData(arrays, subset, device, test)
    if checkpointer is not None:
        checkpointer.data = data.subset_hash  # written with its checkpoints, checked before one is continued
    model = (
        build_model(spec.model, spec.conv4_dropout).to(device).to(memory_format=memory_format(device, spec.precision))
    )
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
        checkpointer=checkpointer,
    )


def execute(
    request: Job,
    *,
    device: str | torch.device = "auto",
    data_dir: Path | None = None,
    emit: Emit,
    checkpointer: Checkpointer | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    download: bool = True,
) -> RunFinished | RunFailed:
    """Train one run to the end, continuing from `checkpoint_path` if it holds a checkpoint.

    Args:
        request: spec, seed and run id.
        device: a torch device or a user string (auto, cpu, cuda, cuda:N).
        data_dir: where CIFAR-10 lives (None: GST_DATA_DIR or ~/.cache/gst/data).
        emit: receives RunStarted, then Pruned/EpochEnded per epoch, then RunFinished (also returned); a run whose
            loss diverged ends with RunFailed (diverged_epoch set) instead.
        checkpointer: where and how often to checkpoint (None: no checkpoints).
        should_stop: polled after each epoch; True stops with KeyboardInterrupt after checkpointing.
        download: allow torchvision to download CIFAR-10 when no copy is found.
    """
    (finished,) = execute_stack(
        [request],
        device=device,
        data_dir=data_dir,
        emit=emit,
        checkpointers=[checkpointer],
        should_stop=should_stop,
        download=download,
    )
    return finished


def execute_stack(
    requests: list[Job],
    *,
    device: str | torch.device = "auto",
    data_dir: Path | None = None,
    emit: Emit,
    checkpointers: list[Checkpointer | None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    download: bool = True,
    where: Where | None = None,
) -> list[RunFinished | RunFailed]:
    """Train several runs of one spec together (seed batching), each as `execute` would train it alone.

    Each run continues from its newest checkpoint that the database has caught up with (`recorded_epochs`);
    stacked runs continue from an epoch they all have, so they stay stacked. Runs resumed at different epochs
    train as separate groups; a group of one, or runs that cannot be stacked (dropout), train one at a time,
    each from the RNG state it had alone. Every run trains with its own thread count (`Job.threads`, one by
    default), whatever process or layout it trains in. Ctrl-C writes every run's last snapshot (whose events are
    durable) and re-raises.
    """
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    with intra_op_threads(requests[0].threads or DEFAULT_THREADS):
        return _execute_stack(requests, dev, data_dir, emit, checkpointers, should_stop, download, where or Where())


@contextlib.contextmanager
def intra_op_threads(threads: int) -> Iterator[None]:
    """Train with `threads` intra-op threads (on the calling thread, which is the one that trains), then restore.

    A run's numbers depend on its thread count (convolution gradients and evaluation sum in thread-sized chunks);
    fixing it per run, not per process or layout, is what makes one seed give one result."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _execute_stack(
    requests: list[Job],
    dev: torch.device,
    data_dir: Path | None,
    emit: Emit,
    checkpointers: list[Checkpointer | None] | None,
    should_stop: Callable[[], bool],
    download: bool,
    where: Where,
) -> list[RunFinished | RunFailed]:
    keepers = checkpointers or [None] * len(requests)
    trainers = []
    rngs = {}  # each run's global RNG state as it would be alone (dropout draws from it), taken before the next build
    for request, keeper in zip(requests, keepers, strict=True):
        trainer = build_trainer(request, dev, data_dir, keeper, download)
        trainers.append(trainer)
        rngs[request.run_id] = checkpoint.rng_state(trainer.data_gen, trainer.pruner.generator)
    notes = _restore(trainers, requests, dev, rngs)
    stacked = len(trainers) > 1 and stackable(requests[0].spec)
    for request, trainer in zip(requests, trainers, strict=True):
        together = tuple(t.run_id for t in trainers if t.progress.epochs_done == trainer.progress.epochs_done)
        emit(
            RunStarted(
                run_id=request.run_id,
                seed=request.seed,
                device=str(dev),
                params_total=count_params(trainer.model),
                epochs_total=request.spec.epochs,
                data_subset_hash=trainer.data.subset_hash,
                resumed_from_epoch=trainer.progress.epochs_done,
                note=notes[request.run_id],
                backend=where.backend,
                worker=where.worker,
                host=where.host or HOST,
                attempt=where.attempt,
                stacked_with=together if stacked and len(together) > 1 else (),
                precision=request.spec.precision,
                threads=torch.get_num_threads(),
            )
        )
    by_epoch: dict[int, list[Trainer]] = {}
    for trainer in trainers:
        by_epoch.setdefault(trainer.progress.epochs_done, []).append(trainer)
    finished: list[RunFinished | RunFailed] = []
    try:
        for group in by_epoch.values():
            if len(group) > 1 and stacked:
                results: Iterable[RunFinished | RunFailed] = StackedTrainers(group).run(emit, should_stop)
            else:
                results = (_alone(trainer, rngs[trainer.run_id], emit, should_stop) for trainer in group)
            for result in results:
                if isinstance(result, RunFinished):  # a divergence was emitted when it happened
                    faults.hit("finished")
                    emit(result)
                finished.append(result)
    except KeyboardInterrupt:
        for trainer in trainers:
            if trainer.checkpointer is not None:
                trainer.checkpointer.write()
        raise
    for trainer in trainers:
        if trainer.checkpointer is not None:
            trainer.checkpointer.wait()
    return finished


def _restore(
    trainers: list[Trainer], requests: list[Job], device: torch.device, rngs: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """Load each run's checkpoint (stacked runs: the newest epoch all of them have), its RNG state into `rngs`;
    notes on fallbacks."""
    found: list[list[dict[str, Any]]] = []
    notes: dict[str, str] = {}
    for trainer, request in zip(trainers, requests, strict=True):
        if trainer.checkpointer is None:
            found.append([])
            notes[request.run_id] = ""
            continue
        states, note = trainer.checkpointer.candidates(device, request.recorded_epochs)
        found.append(states)
        notes[request.run_id] = note
    epochs = [{int(s["progress"]["epochs_done"]) for s in states} | {0} for states in found]
    common = max(set.intersection(*epochs)) if epochs else 0
    if len(trainers) > 1 and stackable(requests[0].spec) and common > 0:
        epochs = [{common}] * len(trainers)  # killed between two members' writes: resume stacked, not apart
    for trainer, states, wanted in zip(trainers, found, epochs, strict=True):
        best = max(wanted)
        state = next((s for s in states if int(s["progress"]["epochs_done"]) == best), None)
        newest = int(states[0]["progress"]["epochs_done"]) if states else 0
        note = notes[trainer.run_id]
        if state is not None:
            trainer.load(state)
            rngs[trainer.run_id] = checkpoint.rng_state(trainer.data_gen, trainer.pruner.generator)  # as restored
        if (note or newest != best) and (note or best < newest):
            why = note or f"its stack's common checkpoint is epoch {best}"
            notes[trainer.run_id] = (
                f"{why}; continuing from epoch {best}" if best else f"{why}; re-running from scratch"
            )
    return notes


def _alone(
    trainer: Trainer, rng: dict[str, Any], emit: Emit, should_stop: Callable[[], bool]
) -> RunFinished | RunFailed:
    """One run of a group trained by itself, from the RNG state it had when it was built."""
    checkpoint.restore_rng(rng, trainer.data_gen, trainer.pruner.generator)
    return trainer.run(emit, should_stop)
