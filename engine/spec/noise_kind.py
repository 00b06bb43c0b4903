"""The `prune.noise` values and their parsing (torch-free: spec validation imports this, not the injector)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

NOISE_KINDS = ("Prune_L", "iter_{B}_zeroing", "iter_{B}_gaussian", "cumu_{B}_zeroing_restore")
NoiseCount = Literal["forwards", "train_batches"]
NOISE_COUNTS: tuple[NoiseCount, ...] = ("forwards", "train_batches")
_PATTERN = re.compile(r"^(iter|cumu)_(-?\d+)_(zeroing|gaussian|zeroing_restore)$")
_VALID = {("iter", "zeroing"), ("iter", "gaussian"), ("cumu", "zeroing_restore")}
MAX_WINDOW = 2**31 - 1  # forwards; stored in INTEGER columns


@dataclass(frozen=True, slots=True)
class NoiseKind:
    """A parsed `prune.noise` value: family, noise step and window length B (parsed once, by the spec check)."""

    text: str
    family: Literal["prune_l", "iter", "cumu"]
    step: Literal["none", "zeroing", "gaussian", "zeroing_restore"]
    window: int = 0

    def __str__(self) -> str:
        return self.text

    @property
    def temporary(self) -> bool:
        """Everything except Prune_L leaves every filter working after its window: nothing is removed."""
        return self.family != "prune_l"


def parse_noise(text: str) -> NoiseKind:
    """Parse a `prune.noise` value; ValueError naming the allowed forms otherwise."""
    if text == "Prune_L":
        return NoiseKind(text, "prune_l", "none")
    match = _PATTERN.match(text)
    allowed = f"allowed: {', '.join(NOISE_KINDS)} with B >= 0"
    if match is None or (match[1], match[3]) not in _VALID:
        raise ValueError(f"{text!r} is not a noise variant ({allowed})")
    window = int(match[2])
    if window < 0:
        raise ValueError(f"{text!r}: B = {window} must be >= 0 ({allowed})")
    if window > MAX_WINDOW:
        raise ValueError(f"{text!r}: B = {window} is too large (allowed: 0..{MAX_WINDOW})")
    return NoiseKind(text, match[1], match[3], window)  # type: ignore[arg-type]  # _VALID admits only the literals


def label_batches(window: int, test_batches: int, train_batches: int = 391) -> int:
    """The authors' `calc_n_batches_of_training_noise(B, T)`: the training batches their legends name.

    It assumes B forwards (the `iter` variants noise B + 1), so the label is one short whenever the window
    ends inside a training segment; the exact counts are what the injector reports.
    """
    x, count = window - test_batches, 0
    while x > 0:
        count += min(x, train_batches)
        x -= train_batches + 2 * test_batches
    return count
