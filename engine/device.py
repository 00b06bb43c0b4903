"""Device selection (`auto | cpu | cuda | cuda:N`) and the numeric settings that go with it."""

from __future__ import annotations

import os
import random
import re

import numpy as np
import torch

from gst.engine.spec.errors import DeviceError

DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:\d+|mps)$")


def resolve_device(text: str) -> torch.device:
    """The torch device for a user's --device value; DeviceError if it is not on this machine."""
    if not DEVICE_PATTERN.match(text):
        raise DeviceError(f"--device: {text!r} is not a device (allowed: auto, cpu, cuda, cuda:N)")
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(text)
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (device.index is not None and device.index >= count):
            raise DeviceError(
                f"--device: {text} is not available here ({count} CUDA devices; allowed: auto, cpu"
                + (", cuda, cuda:0.." + str(count - 1) if count else "")
                + ")"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("--device: mps is not available here (allowed: auto, cpu)")
    return device


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed python, numpy and torch; optionally ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.benchmark = not deterministic


def set_precision(precision: str) -> None:
    """fp32 keeps full float32 matmuls (paper parity); tf32 allows TensorFloat-32 on Ampere and newer."""
    allow = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = allow
    torch.backends.cudnn.allow_tf32 = allow


def memory_format(device: torch.device, precision: str) -> torch.memory_format:
    """channels_last where it was measured to pay: on CPUs (oneDNN convolutions; `gst bench` conv4 train
    +15-40 %, eval +40 %), and on GPUs with bf16 (tensor-core convolutions want NHWC); else contiguous."""
    if device.type == "cpu" or (device.type == "cuda" and precision == "bf16"):
        return torch.channels_last
    return torch.contiguous_format
