"""The type checker passes over the source, as installed (`gst.engine`, `gst.store`, `gst.tui`, `gst.presets`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_passes_over_the_source(tmp_path: Path) -> None:
    """mypy cannot follow setuptools' package-dir mapping, so it reads the folders through a `gst/` of links."""
    tree = tmp_path / "gst"
    tree.mkdir()
    for folder in ("engine", "store", "tui", "presets"):
        (tree / folder).symlink_to(ROOT / folder, target_is_directory=True)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "-p", "gst"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success" in result.stdout
