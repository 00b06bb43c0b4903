"""Throughput measurements for `gst bench`: a plain PyTorch loop, gst's loop, the compute bound, evaluation.

Each returns images per second measured on the same model, device and batch size, after a warm-up.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from gst.engine.data import MEAN, STD, synthetic_arrays
from gst.engine.device import memory_format
from gst.engine.models import build_model
from gst.engine.spec.job import Job
from gst.engine.spec.schedule import schedule
from gst.engine.spec.specs import RunSpec, spec_from_dict
from gst.engine.train import Trainer
from gst.engine.train_job import build_trainer

WARMUP = 2


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work so timings are real."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step: Callable[[], None], steps: int, device: torch.device) -> float:
    """Seconds for `steps` calls after `WARMUP` untimed ones."""
    for _ in range(WARMUP):
        step()
    synchronize(device)
    began = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(device)
    return time.perf_counter() - began


class PilDataset(Dataset[tuple[torch.Tensor, int]]):
    """What a user would write: uint8 HWC arrays -> PIL image -> ToTensor -> Normalize, per item."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        from torchvision import transforms

        self.x, self.y = x, y
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(self.x[i])), int(self.y[i])


Pass = Callable[[], float]  # one timed pass of a loop; returns images per second


def plain_loop(model_name: str, device: torch.device, batch: int, steps: int, workers: int = 4) -> Pass:
    """(a) The authors' style: Dataset with PIL transforms, a DataLoader with worker processes, per-batch transfer.

    Each pass is timed like a real epoch: from creating the iterator (which starts the workers) through
    `steps` batches, so the loader's prefetch buffer cannot hide the cost of producing batches.
    """
    data = synthetic_arrays()
    n = min(len(data.y_train), steps * batch)
    torch.manual_seed(0)
    model = build_model(model_name).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with warnings.catch_warnings():  # 4 workers on fewer cores is the point of the comparison
        warnings.filterwarnings("ignore", message="This DataLoader will create")
        loader = DataLoader(
            PilDataset(data.x_train[:n], data.y_train[:n]),
            batch_size=batch,
            shuffle=True,
            num_workers=workers,
            drop_last=True,
        )
    losses: list[float] = []

    def epoch() -> float:
        synchronize(device)
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="This DataLoader will create")
            batches = iter(loader)
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())  # the usual running-loss bookkeeping
        synchronize(device)
        return (n // batch) * batch / (time.perf_counter() - began)

    epoch()  # warm-up
    return epoch


def bench_spec(model_name: str, batch: int, images: int) -> RunSpec:
    """One epoch of `images` synthetic images with pruning active from the start."""
    layers = {"conv4": ["fc1"], "vgg11": ["conv8"], "vgg19": ["conv16"], "resnet18": ["layer4.1.conv2"],
              "resnet20": ["layer3.2.conv2"], "resnet56": ["layer3.8.conv2"]}[model_name]  # fmt: skip
    score = "magnitude" if model_name == "conv4" else "l1" if model_name.startswith("resnet") else "ebn"
    return spec_from_dict(
        {
            "model": model_name, "dataset": "synthetic", "examples_per_class": max(1, images // 10), "epochs": 2, "batch_size": batch,
            "prune": {"layers": layers, "score": score, "target": "large", "start_epoch": [0], "end_epoch": [1], "fraction": [0.5], "retrain_period": 1},
        }
    )  # fmt: skip


def pruned_trainer(model_name: str, device: torch.device, batch: int, images: int) -> Trainer:
    """A trainer whose first pruning event has already happened, so masks are enforced every step."""
    trainer = build_trainer(Job(run_id="bench", spec=bench_spec(model_name, batch, images), seed=0), device, None)
    first = min(schedule(trainer.spec))
    trainer.pruner.apply(schedule(trainer.spec)[first])
    return trainer


def gst_loop(model_name: str, device: torch.device, batch: int, steps: int) -> Pass:
    """(b) gst's own epoch loop: device-resident data, on-device shuffle, masks enforced, no per-batch sync."""
    trainer = pruned_trainer(model_name, device, batch, steps * batch)

    def epoch() -> float:
        synchronize(device)
        began = time.perf_counter()
        trainer.train_epoch()
        synchronize(device)
        return trainer.data.train_size / (time.perf_counter() - began)

    epoch()  # warm-up
    return epoch


def compute_loop(model_name: str, device: torch.device, batch: int, steps: int) -> Pass:
    """(c) The bound: forward, backward and Adam step on one fixed, device-resident batch, in the memory
    format gst trains in."""
    torch.manual_seed(0)
    model = build_model(model_name).to(device).to(memory_format=memory_format(device, "fp32")).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return lambda: steps * batch / timed(step, steps, device)


def eval_loop(model_name: str, device: torch.device) -> Pass:
    """Test-set evaluation throughput of gst's eval path."""
    trainer = pruned_trainer(model_name, device, 128, 256)

    def evaluate() -> float:
        synchronize(device)
        began = time.perf_counter()
        trainer.evaluate()
        synchronize(device)
        return int(trainer.data.y_test.numel()) / (time.perf_counter() - began)

    evaluate()  # warm-up
    return evaluate


Note = Callable[[str], None]  # told the name of each measurement as it starts (gst bench shows it)


def quiet(_what: str) -> None:
    """A `Note` that says nothing."""


def best_interleaved(passes: dict[str, Pass], repeats: int, note: Note = quiet) -> dict[str, float]:
    """Run the passes in turn, `repeats` rounds, and keep each one's best rate.

    Interleaving exposes every loop to the same machine state; the best of several passes filters out
    interference from other processes (as `timeit` does).
    """
    best = dict.fromkeys(passes, 0.0)
    for round_ in range(repeats):
        for name, one_pass in passes.items():
            note(f"{name} pass, round {round_ + 1} of {repeats}")
            best[name] = max(best[name], one_pass())
    return best


def peak_memory_mb(device: torch.device) -> float:
    """Peak GPU memory allocated, or this process's peak resident memory on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True, slots=True)
class CheckpointCost:
    """What checkpointing costs one run: the per-epoch snapshot copy, and a full write to disk."""

    megabytes: float
    snapshot_s: float  # paid every epoch, on the training thread
    write_s: float  # paid when due (default every 60 s), on a background thread


def checkpoint_cost(model_name: str, device: torch.device) -> CheckpointCost:
    """Snapshot and write a trained-for-one-step run's full state (model, masks, Adam moments, RNGs), best of 3."""
    import tempfile

    from gst.engine.checkpoint import detached_copy, save

    trainer = pruned_trainer(model_name, device, 8, 8)
    trainer.train_epoch()  # Adam moments exist, as in every checkpoint after the first epoch
    snaps, writes = [], []
    with tempfile.TemporaryDirectory(prefix="gst-bench-") as folder:
        path = Path(folder) / "bench.pt"
        for _ in range(3):
            began = time.perf_counter()
            snapshot = detached_copy(trainer.state())
            snaps.append(time.perf_counter() - began)
            began = time.perf_counter()
            save(path, snapshot)
            writes.append(time.perf_counter() - began)
        size = path.stat().st_size / 2**20
    return CheckpointCost(megabytes=size, snapshot_s=min(snaps), write_s=min(writes))
