from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gst.engine.array_cache import digest
from gst.engine.data import SYNTHETIC_VERSION, ArraySet, _make_synthetic, class_subset, load_arrays, synthetic_arrays
from gst.engine.loader import DeviceData
from gst.engine.spec.errors import DataError
from gst.engine.spec.specs import RunSpec

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_subset_is_class_balanced_and_seeded() -> None:
    labels = np.repeat(np.arange(10), 50)
    a, b, c = class_subset(labels, 7, 1), class_subset(labels, 7, 1), class_subset(labels, 7, 2)
    assert np.bincount(labels[a]).tolist() == [7] * 10
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert class_subset(labels, 50, 3).tolist() == list(range(500))


@pytest.mark.parametrize(("per_class", "batch"), [(128, 3), (5000, 128), (512, 13), (2048, 52)])
def test_auto_batch_size_rule(per_class: int, batch: int) -> None:
    assert RunSpec(examples_per_class=per_class, batch_size="auto").resolved_batch_size == batch


DIGEST_V1 = "516eaf946bb90e6f"  # of the default synthetic set's arrays, as SYNTHETIC_VERSION 1 makes them


@pytest.mark.slow
def test_synthetic_is_deterministic_and_cifar_shaped() -> None:
    data = synthetic_arrays()
    assert data.x_train.shape == (10_000, 32, 32, 3) and data.x_train.dtype == np.uint8
    assert np.bincount(data.y_test).tolist() == [100] * 10
    made = _make_synthetic(0, 1000, 100)  # what the cache holds is what the generator makes, bitwise
    assert all(np.array_equal(getattr(data, name), made[name]) for name in made)
    # the cache key carries SYNTHETIC_VERSION: a generator that makes other arrays must change it (and this digest)
    assert (SYNTHETIC_VERSION, digest(made)[:16]) == (1, DIGEST_V1)


def test_synthetic_test_split_follows_its_variable_and_rejects_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from gst.engine.data import load_arrays
    from gst.engine.spec.datasets import synthetic_test_per_class
    from gst.engine.spec.errors import DataError

    assert np.bincount(load_arrays("synthetic").y_test).tolist() == [20] * 10  # the tests' setting
    monkeypatch.delenv("GST_SYNTHETIC_TEST_PER_CLASS")
    assert synthetic_test_per_class() == 100
    for bad in ("0", "101", "ten", "-5"):
        monkeypatch.setenv("GST_SYNTHETIC_TEST_PER_CLASS", bad)
        with pytest.raises(DataError, match=r"^GST_SYNTHETIC_TEST_PER_CLASS: .* \(allowed: 1\.\.100\)$"):
            synthetic_test_per_class()


def test_augmentation_is_a_padded_crop_with_flip() -> None:
    x = np.random.default_rng(0).integers(0, 255, size=(4, 32, 32, 3), dtype=np.uint8)
    arrays = ArraySet(x, np.arange(4) % 10, x, np.arange(4) % 10)
    data = DeviceData(arrays, np.arange(4), torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    crops = data._augmented(torch.arange(4), gen)
    gen = torch.Generator().manual_seed(0)
    offsets = torch.randint(0, 9, (2, 4), generator=gen)
    flips = torch.rand(4, generator=gen) < 0.5
    padded = np.pad(x.transpose(0, 3, 1, 2), ((0, 0), (0, 0), (4, 4), (4, 4)))
    for i in range(4):
        dy, dx = int(offsets[0, i]), int(offsets[1, i])
        expected = padded[i, :, dy : dy + 32, dx : dx + 32]
        if flips[i]:
            expected = expected[:, :, ::-1]
        assert np.array_equal(crops[i].numpy(), expected)


def test_batches_cover_the_train_set_once() -> None:
    data = DeviceData(synthetic_arrays(), np.arange(100), torch.device("cpu"))
    seen = torch.cat([y for _, y in data.train_batches(32, torch.Generator().manual_seed(0), augment=False)])
    assert seen.numel() == 100
    x, _ = next(data.train_batches(32, torch.Generator().manual_seed(0), augment=True))
    assert x.shape == (32, 3, 32, 32) and x.dtype == torch.float32


def test_npz_file_is_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "cifar10.npz", x_train=rng.integers(0, 255, (20, 32, 32, 3), dtype=np.uint8), y_train=np.arange(20, dtype=np.uint8) % 10,
             x_test=rng.integers(0, 255, (10, 32, 32, 3), dtype=np.uint8), y_test=np.arange(10, dtype=np.uint8))  # fmt: skip
    data = load_arrays("cifar10", tmp_path)
    assert data.x_train.shape == (20, 32, 32, 3) and data.y_train.dtype == np.int64


@pytest.mark.slow
def test_missing_cifar_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_arrays("cifar10", tmp_path / "empty", download=False)
    assert "synthetic" in str(info.value) and "--data-dir" in str(info.value)


@pytest.mark.skipif(not (SHARED_DATA / "cifar10.npz").is_file(), reason="no offline CIFAR-10 copy beside the checkout")
def test_real_cifar10_copy_loads() -> None:
    data = load_arrays("cifar10", SHARED_DATA)
    assert data.x_train.shape == (50_000, 32, 32, 3) and data.x_test.shape == (10_000, 32, 32, 3)
    assert data.y_train[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert np.bincount(data.y_train).tolist() == [5000] * 10


def good_arrays() -> dict[str, np.ndarray]:
    """A tiny valid CIFAR-10 npz's arrays."""
    return {
        "x_train": np.zeros((20, 32, 32, 3), np.uint8), "y_train": np.arange(20, dtype=np.uint8) % 10,
        "x_test": np.zeros((10, 32, 32, 3), np.uint8), "y_test": np.arange(10, dtype=np.int64),
    }  # fmt: skip


NPZ_CASES = [
    ({"x_train": np.zeros((20, 32, 32, 3))}, "x_train is float64, not uint8"),
    ({"y_train": np.full(20, 200, np.uint8)}, "y_train holds label 200, outside the classes 0..9"),
    ({"y_test": np.full(10, -1, np.int64)}, "y_test holds label -1, outside the classes 0..9"),
    ({"x_train": np.zeros((20, 3, 32, 32), np.uint8)}, "x_train has shape (20, 3, 32, 32), not (N, 32, 32, 3) (channels first"),
    ({"x_test": np.zeros((10, 32, 32), np.uint8)}, "x_test has shape (10, 32, 32), not (N, 32, 32, 3)"),
    ({"x_train": np.zeros((0, 32, 32, 3), np.uint8), "y_train": np.zeros(0, np.int64)}, "x_train holds no images (N = 0)"),
    ({"y_test": np.arange(9)}, "y_test has 9 labels but x_test has 10 images"),
    ({"y_train": np.zeros(20, np.float32)}, "y_train is float32, not integers"),
    ({"y_test": None}, "no array y_test (it holds x_train, y_train, x_test"),
    ({"y_test": np.array([1, "a", None] * 3 + [2], dtype=object)}, "y_test holds Python objects, not numbers"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), NPZ_CASES, ids=[m.split(",")[0][:40] for _, m in NPZ_CASES])
def test_a_bad_npz_is_one_line_naming_the_file_and_the_array(
    tmp_path: Path, change: dict[str, np.ndarray | None], message: str
) -> None:
    arrays = {**good_arrays(), **change}
    np.savez(tmp_path / "cifar10.npz", **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(DataError) as info:
        load_arrays("cifar10", tmp_path)
    text = str(info.value)
    assert text.startswith(f"{tmp_path / 'cifar10.npz'}: ") and message in text, text
    assert "\n" not in text and "pickle" not in text


def test_a_file_that_is_not_a_zip_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "cifar10.npz").write_bytes(b"\x80\x04pickled?" * 10)
    with pytest.raises(DataError, match=r"cifar10.npz: not an npz file") as info:
        load_arrays("cifar10", tmp_path)
    assert "pickle" not in str(info.value)


def test_keras_style_label_columns_are_read(tmp_path: Path) -> None:
    arrays = {**good_arrays(), "y_train": (np.arange(20) % 10).reshape(20, 1)}
    np.savez(tmp_path / "cifar10.npz", **arrays)
    assert load_arrays("cifar10", tmp_path).y_train.shape == (20,)
