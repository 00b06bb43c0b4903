"""Every app test gets the fixed speed measurement (see fake_probe.py) in launch confirmations."""

from __future__ import annotations

import pytest

from gst.tui.app.screens import launch_confirm
from tests.tui.app.fake_probe import FakeProbe


@pytest.fixture(autouse=True)
def _fixed_speed_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeProbe.made = []
    monkeypatch.setattr(launch_confirm, "ProbeProcess", FakeProbe)
