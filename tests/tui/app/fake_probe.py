"""A speed measurement that answers at once with fixed numbers, so app tests neither start torch children nor
depend on this machine's speed (tests/tui/app/test_estimate.py times the real one)."""

from __future__ import annotations

from gst.engine.spec.specs import RunSpec
from gst.tui.runner.speed_probe import SpeedProbe


class FakeProbe:
    """Stands in for `gst.tui.runner.speed_probe.ProbeProcess`."""

    made: list[FakeProbe] = []

    def __init__(self, spec: RunSpec, device: str, threads: int) -> None:
        self.stopped = False
        FakeProbe.made.append(self)

    def result(self, timeout: float = 300.0) -> SpeedProbe:
        return SpeedProbe(train_s_per_image=0.001, test_s_per_image=0.0005, start_s=10.0, import_s=2.0, threads=1)

    def stop(self) -> None:
        self.stopped = True
