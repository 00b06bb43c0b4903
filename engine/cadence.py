"""When checkpoints go to disk: `--checkpoint-every` parsed, and one clock per group of runs (torch-free)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

EVERY = re.compile(r"^(\d+(?:\.\d+)?)(s|m|e)?$")


@dataclass(frozen=True, slots=True)
class CheckpointEvery:
    """How often a run's state goes to disk: every `epochs` epochs or every `seconds`, whichever is set."""

    epochs: int | None = None
    seconds: float | None = 60.0
    keep_final: bool = False  # also write at the end (kept by --keep-checkpoints)

    @classmethod
    def parse(cls, text: str, keep_final: bool = False) -> CheckpointEvery:
        """'5' or '5e': every 5 epochs; '90s' or '2m': every 90 s / 2 min. Anything else: SpecError."""
        from gst.engine.spec.errors import SpecError

        match = EVERY.match(text.strip().lower())
        value = float(match.group(1)) if match else 0.0
        unit = (match.group(2) or "e") if match else ""
        if not match or value <= 0 or (unit == "e" and not value.is_integer()):
            raise SpecError(
                f"--checkpoint-every: {text!r} must be a whole number of epochs (5, 5e) or a time (90s, 2m) above 0"
            )
        if unit == "e":
            return cls(epochs=int(value), seconds=None, keep_final=keep_final)
        return cls(epochs=None, seconds=value * (60 if unit == "m" else 1), keep_final=keep_final)

    def describe(self) -> str:
        """'every 5 epochs' / 'every 60 s'."""
        return f"every {self.epochs} epochs" if self.epochs else f"every {self.seconds:g} s"


class CheckpointClock:
    """Decides, once per epoch for a whole group of runs, whether their checkpoints are due.

    One clock per group keeps the checkpoints of stacked seeds at the same epochs, so they resume stacked.
    """

    def __init__(self, every: CheckpointEvery) -> None:
        self.every = every
        self.last = time.monotonic()
        self.epochs = 0

    def due(self) -> bool:
        """Count one epoch; True (and restart counting) when the interval has passed."""
        self.epochs += 1
        now = time.monotonic()
        if self.every.epochs is not None:
            hit = self.epochs >= self.every.epochs
        else:
            hit = now - self.last >= (self.every.seconds or 0.0)
        if hit:
            self.last, self.epochs = now, 0
        return hit
