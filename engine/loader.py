"""The data set as tensors on the training device; batching, shuffling and augmentation happen there.

No DataLoader and no worker processes: one gather per batch, normalisation fused into the batch fetch.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from gst.engine.data import MEAN, STD, ArraySet, data_hash

PAD = 4  # pixels of zero (black) padding for the random crop, as torchvision's RandomCrop(32, padding=4)


class DeviceData:
    """Train subset and test set (or its `test_indices` subset) as uint8 NCHW tensors on `device`."""

    def __init__(
        self, arrays: ArraySet, train_indices: np.ndarray, device: torch.device, test_indices: np.ndarray | None = None
    ) -> None:
        def to_device(x: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(device)

        self.device = device
        self.subset_hash = data_hash(train_indices, int(arrays.y_test.size))  # stored with the run and its checkpoints
        self.x_train = to_device(arrays.x_train[train_indices])  # (N, 3, 32, 32) uint8
        self.y_train = torch.from_numpy(arrays.y_train[train_indices]).to(device)
        x_test, y_test = (arrays.x_test, arrays.y_test) if test_indices is None else (
            arrays.x_test[test_indices], arrays.y_test[test_indices]
        )  # fmt: skip
        self.x_test = to_device(x_test)
        self.y_test = torch.from_numpy(y_test.copy()).to(device)  # the arrays may be shared read-only
        self.mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(STD, device=device).view(1, 3, 1, 1) * 255
        self._padded: torch.Tensor | None = None
        self._grid = torch.arange(32, device=device)

    @property
    def train_size(self) -> int:
        """Number of training images."""
        return int(self.y_train.numel())

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) -> normalised float32."""
        return (x.float() - self.mean) / self.std

    def train_batches(
        self, batch_size: int, generator: torch.Generator, augment: bool
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One epoch of shuffled (x, y) batches; the last batch may be smaller (drop_last=False)."""
        order = torch.randperm(self.train_size, device=self.device, generator=generator)
        for start in range(0, self.train_size, batch_size):
            idx = order[start : start + batch_size]
            x = self._augmented(idx, generator) if augment else self.x_train[idx]
            yield self.normalize(x), self.y_train[idx]

    def test_batches(self, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The test set in order."""
        for start in range(0, int(self.y_test.numel()), batch_size):
            yield self.normalize(self.x_test[start : start + batch_size]), self.y_test[start : start + batch_size]

    def _augmented(self, idx: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Random 32x32 crops of the zero-padded images, each flipped horizontally with p = 0.5."""
        if self._padded is None:
            self._padded = torch.nn.functional.pad(self.x_train, (PAD, PAD, PAD, PAD))  # (N, 3, 40, 40)
        b = idx.numel()
        offsets = torch.randint(0, 2 * PAD + 1, (2, b), device=self.device, generator=generator)
        flips = torch.rand(b, device=self.device, generator=generator) < 0.5
        rows = offsets[0, :, None] + self._grid  # (B, 32)
        cols = torch.where(flips[:, None], offsets[1, :, None] + 31 - self._grid, offsets[1, :, None] + self._grid)
        channel = torch.arange(3, device=self.device).view(1, 3, 1, 1)
        return self._padded[idx.view(-1, 1, 1, 1), channel, rows.view(b, 1, 32, 1), cols.view(b, 1, 1, 32)]
