"""Sizes of the data sets a spec can name, known without loading them (torch- and numpy-free)."""

from __future__ import annotations

import os

from gst.engine.spec.errors import DataError

CIFAR10_TEST_IMAGES = 10_000
TEST_PER_CLASS = {"cifar10": 1000, "synthetic": 100}  # the most a `test_per_class` subset may ask for
TEST_SUBSET_SEED = 0  # one subset for every run of every sweep, so arms and seeds are compared on the same images


def synthetic_test_per_class() -> int:
    """Test images per class of the synthetic set: 100, or GST_SYNTHETIC_TEST_PER_CLASS (1..100).

    Evaluation dominates a tiny synthetic run, so process-level tests shrink the test split with it;
    a smaller split is a draw of its own, not a subset of the default one.
    """
    raw = os.environ.get("GST_SYNTHETIC_TEST_PER_CLASS", "").strip()
    if not raw:
        return 100
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise DataError(f"GST_SYNTHETIC_TEST_PER_CLASS: {raw!r} is not allowed (allowed: 1..100)")
    return int(raw)


def test_images(dataset: str, per_class: int = 0) -> int:
    """Test images a run evaluates: the data set's test split (the synthetic split's size follows
    GST_SYNTHETIC_TEST_PER_CLASS), or its class-balanced subset of `per_class` images per class (0: all)."""
    split = CIFAR10_TEST_IMAGES // 10 if dataset == "cifar10" else synthetic_test_per_class()
    return 10 * (min(per_class, split) if per_class else split)
