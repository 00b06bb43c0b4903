"""Turns the pruner's closed noise windows into `NoiseWindowClosed` events (method-later.md §6.11)."""

from __future__ import annotations

from collections.abc import Callable

from gst.engine.prune import Pruner
from gst.engine.spec.events import Event, NoiseWindowClosed


def emit_noise_windows(run_id: str, pruner: Pruner, emit: Callable[[Event], None], final: bool = False) -> None:
    """Emit a record for each noise window closed since the last call (with `final`, also the open ones)."""
    for r in pruner.noise_reports(final):
        emit(
            NoiseWindowClosed(
                run_id=run_id,
                epoch=r.epoch,
                layer=r.layer,
                train_forwards=r.train_forwards,
                eval_forwards=r.eval_forwards,
                complete=r.complete,
            )
        )
