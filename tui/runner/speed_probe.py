"""The launch estimate's measurement where nothing is stored yet: a child process that trains and tests a few
batches of the spec's model on this device and reports its speed (`gst.engine.bench.epoch_probe`).

A child, so that torch never loads into the app and the interface keeps the GIL; it can be stopped at any time
(a confirmation answered before the measurement ends must not leave it competing with the sweep for cores).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass

from gst.engine.spec.errors import GstError
from gst.engine.spec.specs import RunSpec, spec_to_dict
from gst.tui.runner.background import probe_command


@dataclass(frozen=True, slots=True)
class SpeedProbe:
    """Seconds per training and per test image, and the fixed cost of starting a run's process, measured now."""

    train_s_per_image: float
    test_s_per_image: float
    start_s: float  # interpreter start to the trainer built (imports, data, model): a worker's start-up
    import_s: float
    threads: int
    side_by_side: int = 1  # probes that ran at once (as many as the sweep's runs at once)


class ProbeProcess:
    """One measurement running in a child process."""

    def __init__(self, spec: RunSpec, device: str, threads: int) -> None:
        self.began = time.time()  # wall clock: compared with the child's own end time
        self.process = subprocess.Popen(
            probe_command(json.dumps(spec_to_dict(spec)), device, threads),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self, timeout: float = 300.0) -> SpeedProbe:
        """Wait for the child's answer; GstError if it failed, was stopped or took longer than `timeout`."""
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            self.process.communicate()
            raise GstError(f"the speed measurement took longer than {timeout:.0f} s and was stopped") from None
        if self.process.returncode < 0:
            raise GstError("the speed measurement was stopped")
        if self.process.returncode != 0:
            last = (err.strip().splitlines() or [f"exit code {self.process.returncode}"])[-1]
            raise GstError(f"the speed measurement failed: {last}")
        data = json.loads(out.strip().splitlines()[-1])
        wall = data["ended_at"] - self.began  # the child's end, not when this thread got to read it
        timed = data["train_s_per_image"] * data["train_images"] * 2 + data["test_s_per_image"] * data["test_images"]
        return SpeedProbe(
            train_s_per_image=data["train_s_per_image"],
            test_s_per_image=data["test_s_per_image"],
            start_s=max(0.0, wall - timed),
            import_s=data["import_s"],
            threads=data["threads"],
        )

    def stop(self) -> None:
        """End the child now (it holds no state worth keeping); `result` then reaps it and says it was stopped."""
        if self.process.poll() is None:
            self.process.kill()


def combined(probes: list[SpeedProbe]) -> SpeedProbe:
    """Probes that ran side by side as one: mean speeds, the slowest start-up (the sweep waits for its workers)."""
    n = len(probes)
    return SpeedProbe(
        train_s_per_image=sum(p.train_s_per_image for p in probes) / n,
        test_s_per_image=sum(p.test_s_per_image for p in probes) / n,
        start_s=max(p.start_s for p in probes),
        import_s=max(p.import_s for p in probes),
        threads=probes[0].threads,
        side_by_side=n,
    )
