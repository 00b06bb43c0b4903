"""Requests that screens post to the app, which alone owns the launcher and the notion of the current sweep."""

from __future__ import annotations

from textual.message import Message

from gst.engine.spec.specs import RunSpec


class LaunchRequested(Message):
    """Queue `gst run TARGET…` after the user confirms the plan; `specs` holds one spec per run to train."""

    def __init__(
        self,
        target: list[str],
        label: str,
        specs: list[RunSpec],
        *,
        device: str = "auto",
        seeds: str = "",
        arms: str = "",
    ) -> None:
        super().__init__()
        self.target, self.label, self.specs = target, label, specs
        self.device, self.seeds, self.arms = device, seeds, arms


class CancelRequested(Message):
    """Stop a sweep this window launched (after confirmation)."""

    def __init__(self, sweep_id: str) -> None:
        super().__init__()
        self.sweep_id = sweep_id


class ResumeRequested(Message):
    """Queue `gst resume SWEEP_ID`."""

    def __init__(self, sweep_id: str) -> None:
        super().__init__()
        self.sweep_id = sweep_id


class SweepSelected(Message):
    """The user picked a sweep: `d` and `s` follow it from now on; `then` names a screen to show it in now."""

    def __init__(self, sweep_id: str, then: str | None = None) -> None:
        super().__init__()
        self.sweep_id, self.then = sweep_id, then


class RunsMarked(Message):
    """The user marked runs of a sweep (space in the run table): the charts overlay their curves."""

    def __init__(self, sweep_id: str, run_ids: frozenset[str]) -> None:
        super().__init__()
        self.sweep_id, self.run_ids = sweep_id, run_ids
