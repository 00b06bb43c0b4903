"""CIFAR-10 (npz file or torchvision download) and a synthetic stand-in, kept as uint8 arrays.

`engine.loader` moves them to the training device; nothing here depends on the device.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from gst.engine.array_cache import cached_arrays
from gst.engine.spec.datasets import NPZ_NAME, default_data_dir, synthetic_test_per_class
from gst.engine.spec.errors import DataError

# method.md §5: the authors' normalisation (the widespread "kuangliu" std, not the true one).
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2023, 0.1994, 0.2010)


@dataclass(frozen=True, slots=True)
class ArraySet:
    """Images as uint8 (N, 32, 32, 3) HWC RGB and labels as int64 (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


PRELOADED: dict[str, ArraySet] = {}  # arrays handed to this process (a Ray task gets them from the object store)


def load_arrays(dataset: str, data_dir: Path | None = None, download: bool = True) -> ArraySet:
    """The named data set's arrays; CIFAR-10 from `<data_dir>/cifar10.npz` or torchvision's download.

    GST_OFFLINE=1 forbids the download (tests, air-gapped machines).
    """
    if dataset in PRELOADED:
        return PRELOADED[dataset]
    if dataset == "synthetic":
        return synthetic_arrays(test_per_class=synthetic_test_per_class())
    offline = os.environ.get("GST_OFFLINE", "") not in ("", "0")
    return _cifar10(Path(data_dir or default_data_dir()).expanduser().resolve(), download and not offline)


@lru_cache(maxsize=2)
def _cifar10(data_dir: Path, download: bool) -> ArraySet:
    if data_dir.exists() and not data_dir.is_dir():
        raise DataError(f"--data-dir: {data_dir} is a file; give the folder that holds {NPZ_NAME}")
    npz = data_dir / NPZ_NAME
    if npz.is_file():
        return read_npz(npz)
    try:
        from torchvision.datasets import CIFAR10

        train = CIFAR10(str(data_dir), train=True, download=download)
        test = CIFAR10(str(data_dir), train=False, download=download)
    except Exception as exc:  # noqa: BLE001 - any download/IO failure becomes one message
        raise DataError(
            f"CIFAR-10 is not in {data_dir} and could not be downloaded ({type(exc).__name__}). "
            f"Put {NPZ_NAME} there, point --data-dir or GST_DATA_DIR at a folder holding it, "
            'connect to the internet once, or use dataset = "synthetic".'
        ) from None
    return ArraySet(
        np.asarray(train.data),
        np.asarray(train.targets, dtype=np.int64),
        np.asarray(test.data),
        np.asarray(test.targets, dtype=np.int64),
    )


NPZ_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(npz: Path) -> ArraySet:
    """CIFAR-10 from an npz file, checked before anything trains: DataError naming the file, the array and what
    is wrong (images uint8 (N, 32, 32, 3) HWC, labels integers 0..9, one label per image, N > 0)."""
    if not zipfile.is_zipfile(npz):
        raise DataError(
            f"{npz}: not an npz file (a zip of .npy arrays {', '.join(NPZ_ARRAYS)}); damaged or another format"
        )
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(npz, allow_pickle=False) as z:
            missing = [name for name in NPZ_ARRAYS if name not in z.files]
            if missing:
                found = ", ".join(z.files) or "nothing"
                raise DataError(f"{npz}: no array {missing[0]} (it holds {found}; needs {', '.join(NPZ_ARRAYS)})")
            for name in NPZ_ARRAYS:
                arrays[name] = _read_member(npz, z, name)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(
            f"{npz}: cannot read ({type(exc).__name__}: {_first_line(exc) or 'damaged or cut short'})"
        ) from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        _check_images(npz, f"x_{split}", x)
        y = _check_labels(npz, f"y_{split}", y)
        if len(y) != len(x):
            raise DataError(
                f"{npz}: y_{split} has {len(y):,} labels but x_{split} has {len(x):,} images (one label per image)"
            )
        arrays[f"y_{split}"] = y
    return ArraySet(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


def _read_member(npz: Path, z: np.lib.npyio.NpzFile, name: str) -> np.ndarray:
    """One array; object arrays (which only pickle could read) are named as what they are."""
    try:
        return np.asarray(z[name])
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{npz}: {name} holds Python objects, not numbers (save it as a uint8/integer array)"
            ) from None
        raise DataError(f"{npz}: {name} cannot be read ({_first_line(exc)})") from None


def _check_images(npz: Path, name: str, x: np.ndarray) -> None:
    if x.dtype != np.uint8:
        raise DataError(f"{npz}: {name} is {x.dtype}, not uint8 (pixel values 0..255, shape (N, 32, 32, 3))")
    if x.ndim != 4 or x.shape[1:] != (32, 32, 3):
        hint = " (channels first; gst needs channels last, HWC)" if x.shape[1:] == (3, 32, 32) else ""
        raise DataError(f"{npz}: {name} has shape {x.shape}, not (N, 32, 32, 3){hint}")
    if x.shape[0] == 0:
        raise DataError(f"{npz}: {name} holds no images (N = 0)")


def _check_labels(npz: Path, name: str, y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # Keras keeps labels as (N, 1)
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{npz}: {name} is {y.dtype}, not integers (class labels 0..9)")
    if y.ndim != 1:
        raise DataError(f"{npz}: {name} has shape {y.shape}, not (N,) (one class label 0..9 per image)")
    if y.size and (int(y.min()) < 0 or int(y.max()) > 9):
        bad = int(y.max()) if int(y.max()) > 9 else int(y.min())
        raise DataError(f"{npz}: {name} holds label {bad}, outside the classes 0..9")
    return y.astype(np.int64)


SYNTHETIC_VERSION = 1  # part of the cache key: change it whenever `_make_synthetic` would give other arrays


@lru_cache(maxsize=4)
def synthetic_arrays(seed: int = 0, train_per_class: int = 1000, test_per_class: int = 100) -> ArraySet:
    """A small, learnable CIFAR-shaped data set that a big model can overfit; deterministic by seed.

    Made once per process and shared, read-only; read from the disk cache (`engine.array_cache`) when an
    earlier process made it (about 1.2 s of CPU to make, milliseconds to read).
    """
    key = f"synthetic-v{SYNTHETIC_VERSION}-seed{seed}-train{train_per_class}-test{test_per_class}"
    arrays = cached_arrays(key, lambda: _make_synthetic(seed, train_per_class, test_per_class))
    out = ArraySet(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])
    for array in (out.x_train, out.y_train, out.x_test, out.y_test):
        array.flags.writeable = False  # one copy serves every caller in the process
    return out


def _make_synthetic(seed: int, train_per_class: int, test_per_class: int) -> dict[str, np.ndarray]:
    """Each class is a smooth colour pattern; every image is its class pattern, randomly shifted and
    flipped, blended with a smooth pattern of another class and pixel noise, so classes overlap
    enough that test accuracy stays below train accuracy."""
    rng = np.random.default_rng(seed)
    low = rng.normal(size=(10, 3, 4, 4))
    patterns = np.stack([_upsample(p) for p in low])  # (10, 3, 32, 32)

    # Every class pattern under every shift in [-3, 3]^2 and both flips: (10, 7, 7, 2, 3, 32, 32).
    variants = np.empty((10, 7, 7, 2, 3, 32, 32), dtype=np.float32)
    for i, dy in enumerate(range(-3, 4)):
        for j, dx in enumerate(range(-3, 4)):
            rolled = np.roll(patterns, (dy, dx), axis=(2, 3))
            variants[:, i, j, 0], variants[:, i, j, 1] = rolled, rolled[..., ::-1]

    def make(per_class: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.repeat(np.arange(10), per_class)
        other = (y + rng.integers(1, 10, size=y.size)) % 10
        dy, dx, flip = rng.integers(0, 7, size=y.size), rng.integers(0, 7, size=y.size), rng.integers(0, 2, size=y.size)
        img = 0.55 * variants[y, dy, dx, flip] + 0.45 * patterns[other].astype(np.float32)
        img += rng.standard_normal(size=img.shape, dtype=np.float32) * 0.9
        img = np.clip(128 + 40 * img, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
        order = rng.permutation(y.size)
        return np.ascontiguousarray(img[order]), y[order].astype(np.int64)

    x_train, y_train = make(train_per_class)
    x_test, y_test = make(test_per_class)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _upsample(p: np.ndarray) -> np.ndarray:
    """(3, 4, 4) -> (3, 32, 32) by bilinear interpolation."""
    grid = np.linspace(0, 3, 32)
    i0 = np.clip(np.floor(grid).astype(int), 0, 2)
    w = grid - i0
    rows = p[:, i0, :] * (1 - w)[None, :, None] + p[:, i0 + 1, :] * w[None, :, None]
    return rows[:, :, i0] * (1 - w)[None, None, :] + rows[:, :, i0 + 1] * w[None, None, :]


def class_subset(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Sorted indices of `per_class` examples of each class, drawn with `seed` (all of a class if it has no more)."""
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        if per_class < idx.size:
            idx = rng.choice(idx, size=per_class, replace=False)
        picks.append(idx)
    return np.sort(np.concatenate(picks))


def indices_hash(indices: np.ndarray) -> str:
    """Short sha256 of a subset's indices, stored with each run."""
    return hashlib.sha256(np.ascontiguousarray(indices, dtype=np.int64).tobytes()).hexdigest()[:16]


STANDARD_TEST_IMAGES = (10_000, 1_000)  # CIFAR-10's test set; the synthetic set's default split


def data_hash(train_indices: np.ndarray, test_images: int) -> str:
    """What a run trains and is tested on: its training subset's hash, plus the size of a test split that is not
    the data set's standard one ('+test200' under GST_SYNTHETIC_TEST_PER_CLASS=20), which no spec records. Stored
    with the run and in its checkpoints: a checkpoint made on other data is not continued."""
    base = indices_hash(train_indices)
    return base if test_images in STANDARD_TEST_IMAGES else f"{base}+test{test_images}"
