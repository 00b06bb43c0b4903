"""Shared fixtures: tiny specs on synthetic data, temporary databases, a `gst` subprocess helper."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

TINY_PRESET = """
title = "tiny"
seeds = [0]
[base]
model = "conv4"
dataset = "synthetic"
examples_per_class = {epc}
epochs = {epochs}
batch_size = 32
[base.prune]
layers = ["fc1"]
score = "magnitude"
target = "large"
start_epoch = [1]
end_epoch = [{end}]
fraction = [0.9]
retrain_period = 1
"""


def tiny_preset(epochs: int = 3, epc: int = 16, end: int = 2) -> str:
    """TOML of a one-arm Conv4 preset on synthetic data that prunes fc1 from epoch index 1."""
    return TINY_PRESET.format(epochs=epochs, epc=epc, end=end)


def gst_process(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    """`gst ARGS` in a child process."""
    return subprocess.Popen(
        [sys.executable, "-m", "gst.tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GST_HANDLE_SIGINT": "1"},  # tests stop it with SIGINT, even when run as a background job
        **kwargs,
    )  # type: ignore[call-overload, no-any-return]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database path in a fresh folder."""
    return tmp_path / "gst.duckdb"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the user's GST_DB / GST_DATA_DIR and never download."""
    for name in ("GST_DB", "GST_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GST_OFFLINE", "1")
    # 200 synthetic test images instead of 1,000: evaluation is most of a tiny run's time (tests that check the
    # default split delete this)
    monkeypatch.setenv("GST_SYNTHETIC_TEST_PER_CLASS", "20")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with slow tests first (each file's own order kept, for its module fixtures): with two test workers
    (pytest-xdist) the long tests start at once and the many short ones fill the gaps, instead of one long test
    running alone at the end."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


def pytest_configure(config: pytest.Config) -> None:
    """One intra-op thread per test worker: two workers with two threads each on two cores spin against each
    other (OpenMP) and make short tests many times slower. `gst` subprocesses keep their own defaults.

    xdist workers also inherit COLUMNS=80 and LINES=24, which would fix the width of the CLI's consoles at import:
    the tests set the width they want per command instead."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
        import torch

        torch.set_num_threads(1)
