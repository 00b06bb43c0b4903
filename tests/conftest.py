"""Shared fixtures: tiny specs on synthetic data, temporary databases, and real child processes that never outlive
their test (see tests/processes.py); the session fails if one survives."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import processes
from tests.processes import Processes

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


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    """Starts child processes (`procs.gst(...)`, `procs.python(...)`); each is ended with its whole process group when
    the test ends, pass or fail, and its output is printed then (pytest shows it for a failed test)."""
    started = Processes(tmp_path / "processes")
    try:
        yield started
    finally:
        started.end_all()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No test may leave a process behind: every process a test started in its own session (and any `gst` child of
    this process) that is still alive is killed here, and the session fails, naming it."""
    survivors = processes.end_survivors()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        processes.report_survivors(survivors)  # the controller fails the session
        return
    cache = os.environ.get("GST_CACHE_DIR", "")
    if Path(cache).name.startswith("gst-test-cache-"):  # the session's own, made in pytest_configure
        shutil.rmtree(cache, ignore_errors=True)
    survivors += processes.reported_survivors()
    if survivors:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for line in ["processes left behind by tests (killed now):", *survivors]:
            if reporter is not None:
                reporter.write_line(line, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config: pytest.Config) -> None:
    """One intra-op thread per test worker: two workers with two threads each on two cores spin against each
    other (OpenMP) and make short tests many times slower. `gst` subprocesses keep their own defaults.

    xdist workers also inherit COLUMNS=80 and LINES=24, which would fix the width of the CLI's consoles at import:
    the tests set the width they want per command instead."""
    processes.registry()  # made by the controller, inherited by its test workers
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        # generated data sets are cached for this session only (not in the user's ~/.cache), shared by its workers
        # and every process they start; removed at the session's end
        os.environ["GST_CACHE_DIR"] = tempfile.mkdtemp(prefix="gst-test-cache-")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
        import torch

        torch.set_num_threads(1)
