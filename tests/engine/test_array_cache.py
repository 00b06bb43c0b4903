"""The disk cache of generated data: read back bitwise, whole files only, and never in the way."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gst.engine import array_cache
from gst.engine.array_cache import cached_arrays

Made = dict[str, np.ndarray]


def small() -> Made:
    rng = np.random.default_rng(3)
    return {"x_train": rng.integers(0, 255, (4, 32, 32, 3), dtype=np.uint8), "y_train": np.arange(4)}


class Maker:
    """Counts how often the arrays had to be made."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Made:
        self.calls += 1
        return small()


def equal(a: Made, b: Made) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)


def test_made_once_then_read_back_bitwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GST_CACHE_DIR", str(tmp_path))
    make = Maker()
    first, second = cached_arrays("k", make), cached_arrays("k", make)
    assert make.calls == 1 and equal(first, small()) and equal(second, small())
    assert [p.name for p in tmp_path.iterdir()] == ["k.npz"]  # no temporary file left


@pytest.mark.parametrize("damage", ["truncated", "tampered", "not a zip"])
def test_a_damaged_file_is_made_again_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    monkeypatch.setenv("GST_CACHE_DIR", str(tmp_path))
    cached_arrays("k", Maker())
    path = tmp_path / "k.npz"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "tampered":  # another array under the stored digest
        with np.load(path) as npz:
            kept = {k: npz[k] for k in npz.files}
        kept["y_train"] = kept["y_train"] + 1
        np.savez(path, **kept)
    else:
        path.write_text("hello")
    make = Maker()
    assert equal(cached_arrays("k", make), small()) and make.calls == 1
    again = Maker()
    assert equal(cached_arrays("k", again), small()) and again.calls == 0  # the file was replaced by a whole one


def test_an_unwritable_folder_or_off_only_costs_the_making(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would go")
    monkeypatch.setenv("GST_CACHE_DIR", str(blocked / "gst"))
    make = Maker()
    assert equal(cached_arrays("k", make), small()) and equal(cached_arrays("k", make), small()) and make.calls == 2
    monkeypatch.setenv("GST_CACHE_DIR", "off")
    assert array_cache.cache_dir() is None
    monkeypatch.delenv("GST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert array_cache.cache_dir() == tmp_path / "xdg" / "gst"


def test_the_session_cache_is_not_the_users() -> None:
    assert Path(os.environ["GST_CACHE_DIR"]).name.startswith("gst-test-cache-")
