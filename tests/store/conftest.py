"""Fixtures shared by the store's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from gst.store.db import writing


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty gst database in a folder that is also the working directory (where relative COPY would write)."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "gst.duckdb"
    with writing(db):
        pass
    return db
