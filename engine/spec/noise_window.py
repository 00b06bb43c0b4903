"""How one noise window counts forwards (method-later.md §1.2, §1.4, §6.11), torch-free.

The injector asks `WindowCount.take` at every forward of a noised layer during training; `gst plan` replays the
same rule over a run's forward order (`noise_plan`), so a plan's windows are the counts a run will record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gst.engine.spec.noise_kind import NoiseCount, NoiseKind

Action = Literal["noise", "noise_and_close", "close"]


@dataclass
class WindowCount:
    """One layer's open window: forwards seen since its event (the authors' counter c) and those noised."""

    kind: NoiseKind
    count: NoiseCount = "forwards"
    forwards: int = 0  # forwards seen since the event
    train: int = 0  # noised (or zeroed) training forwards
    eval: int = 0  # noised (or zeroed) eval forwards

    def take(self, training: bool) -> Action:
        """One forward of the layer: noise it (and maybe close after it), or close before it.

        `forwards`: `iter` noises B + 1 forwards and `cumu` B (the forward after them restores); `train_batches`:
        B training forwards and the eval forwards before the last of them (B = 0: the first eval pass only).
        """
        b = self.kind.window
        self.forwards += 1
        j = self.forwards
        if self.count == "forwards":
            closing = j > b if self.kind.family == "cumu" else j > b + 1
        else:
            closing = self.train >= b and (b > 0 or training)
        if closing:
            return "close"
        if training:
            self.train += 1
        else:
            self.eval += 1
        if self.count == "forwards" and self.kind.family == "iter" and j == b + 1:
            return "noise_and_close"
        return "noise"
