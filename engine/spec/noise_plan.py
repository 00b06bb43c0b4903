"""The noise windows a run will record, without training: the training loop's forward order replayed through the
injector's own counting rule (`WindowCount.take`), so `gst plan` shows what the run will store (method-later §1.4).

Per epoch index t the loop makes ceil(n_train / batch) training forwards, a test pass before pruning (at epochs
with an event, or at every epoch with `pre_prune_test = "every_epoch"`), the events of t, and the test pass after
them; each test pass is ceil(n_test / test batch) eval forwards. Every forward reaches every noised layer once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gst.engine.spec.datasets import test_images
from gst.engine.spec.noise_window import WindowCount
from gst.engine.spec.schedule import schedule
from gst.engine.spec.specs import RunSpec


@dataclass(frozen=True, slots=True)
class PlannedWindow:
    """One layer's window after the event at `epoch` (epochs completed): forwards it will noise."""

    epoch: int
    layer: str
    train_forwards: int
    eval_forwards: int
    complete: bool  # False: a later event in the layer or the end of the run cuts it short


def forward_counts(spec: RunSpec, device_type: str = "cpu") -> tuple[int, int]:
    """(training forwards per epoch, eval forwards per test pass) of a run on a device of that type."""
    train = math.ceil(spec.train_size / spec.resolved_batch_size)
    test = math.ceil(test_images(spec.dataset, spec.test_per_class) / spec.eval_batch_size(device_type))
    return train, test


def planned_windows(spec: RunSpec, device_type: str = "cpu") -> list[PlannedWindow]:
    """Every noise window of a run with temporary noise, by event epoch and layer order ([] for any other run)."""
    noise = spec.prune.noise if spec.prune is not None else None
    if spec.prune is None or noise is None or not noise.temporary:
        return []
    count = spec.prune.noise_count
    events = schedule(spec)
    n_train, n_test = forward_counts(spec, device_type)
    open_: dict[str, tuple[int, WindowCount]] = {}
    done: list[PlannedWindow] = []

    def close(layer: str, complete: bool) -> None:
        epoch, window = open_.pop(layer)
        done.append(PlannedWindow(epoch, layer, window.train, window.eval, complete))

    def forwards(training: bool, n: int) -> None:
        for layer in list(open_):
            window = open_[layer][1]
            for _ in range(n):
                if window.take(training) != "noise":
                    close(layer, complete=True)
                    break

    for t in range(spec.epochs):
        forwards(True, n_train)
        if t in events or spec.pre_prune_test == "every_epoch":
            forwards(False, n_test)
        for event in events.get(t, []):
            if event.layer in open_:
                close(event.layer, complete=False)
            open_[event.layer] = (t + 1, WindowCount(noise, count))
        forwards(False, n_test)
    for layer in list(open_):
        close(layer, complete=False)
    order = {name: i for i, name in enumerate(spec.prune.layers)}
    return sorted(done, key=lambda w: (w.epoch, order[w.layer]))
