"""The launch question: runs, epochs, whether the data is there, and an estimated wall time with where each number
comes from. Configurations this machine has no stored epochs of are measured while the question is open (a
child process trains a few batches); the estimate fills in when the measurement ends, and the measurement
stops as soon as the question is answered."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual import work
from textual.widgets import Static

from gst.engine.spec.errors import GstError
from gst.tui.app.estimate import (
    Config,
    LaunchPlan,
    Overheads,
    Speed,
    duration,
    plan_launch,
    probed_overheads,
    probed_speed,
    stored_overheads,
    stored_speed,
    training_seconds,
)
from gst.tui.app.messages import LaunchRequested
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.runner.speed_probe import ProbeProcess, SpeedProbe, combined


class LaunchConfirmScreen(ConfirmScreen):
    """Yes launches (the estimate need not be finished); No, Esc or n go back."""

    def __init__(self, message: LaunchRequested, db: Path, data_dir: Path | None) -> None:
        self.request = message
        self.plan: LaunchPlan = plan_launch(message.specs, message.device, data_dir)
        self.speeds: dict[Config, Speed] = {}
        for config in self.plan.examples:
            if (speed := stored_speed(db, config, self.plan.kind)) is not None:
                self.speeds[config] = speed
        self.overheads: Overheads | None = stored_overheads(db, self.plan.kind)
        self.problem = ""
        self.probes: list[ProbeProcess] = []
        self.stopped = False
        super().__init__(f"Launch {message.label}?", self.body_text(), yes="Launch", no="Back")

    @property
    def missing(self) -> list[Config]:
        """Configurations with no speed yet."""
        return [c for c in self.plan.examples if c not in self.speeds]

    def on_mount(self) -> None:
        """Measure what is not stored (the safe answer has the focus meanwhile)."""
        super().on_mount()
        if self.missing:
            self.measure(self.missing)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def measure(self, configs: list[Config]) -> None:
        """One configuration after another, each as `lanes` probes at once: the speed a run has while as many
        runs train beside it as the sweep will train (and start-up as that many workers start together)."""
        for config in configs:
            spec = self.plan.examples[config]
            probes = [ProbeProcess(spec, self.request.device, self.plan.threads) for _ in range(self.plan.lanes)]
            self.probes += probes
            if self.stopped:  # answered while they started: `on_unmount` may have missed them
                for probe in probes:
                    probe.stop()
            results, problem = [], ""
            for probe in probes:  # each reaped here, in this thread, even when stopped
                try:
                    results.append(probe.result())
                except GstError as exc:
                    problem = problem or str(exc)
            if self.stopped:
                return
            result = combined(results) if results and not problem else None
            self.app.call_from_thread(self.measured, config, result, problem)
            if result is None:
                return

    def measured(self, config: Config, probe: SpeedProbe | None, problem: str) -> None:
        """Fold a measurement into the estimate and redraw it."""
        if probe is not None:
            self.speeds[config] = probed_speed(probe)
            if self.overheads is None or self.overheads.basis.startswith("start-up: measured now"):
                mine = probed_overheads(probe)
                if self.overheads is None or mine.before_s > self.overheads.before_s:
                    self.overheads = mine
        self.problem = problem
        if self.is_mounted:
            self.query_one("#confirm-body Static", Static).update(self.body_text())

    def on_unmount(self) -> None:
        """Answered: a measurement still running must not compete with the sweep for the cores."""
        self.stopped = True
        for probe in self.probes:
            probe.stop()

    def body_text(self) -> Group:
        """Plan, data, time and the basis of each number."""
        plan, req = self.plan, self.request
        at_once = "one per CPU core" if plan.kind == "cpu" else "one at a time on the GPU"
        lines = [
            Text(f"{req.label}: {plan.runs} runs, {plan.epochs:,} epochs in all", style="bold"),
            Text(f"{plan.twice:,} epochs prune and test twice; {plan.lanes} run(s) at once ({at_once})", style="dim"),
        ]
        for check in plan.data:
            mark, style = ("✓", "green") if check.ready else ("✗", "bold red") if check.will_fail else ("!", "yellow")
            lines.append(Text(f"{mark} data {check.text}", style=style))
        lines.append(self.time_text())
        for config, spec in plan.examples.items():
            speed = self.speeds.get(config)
            basis = speed.basis if speed else "nothing stored on this machine: measuring a few training steps now…"
            lines.append(Text(f"{config.name} ({spec.dataset}): {basis}", style="dim"))
        if self.overheads is not None:
            lines.append(Text(self.overheads.basis, style="dim"))
        if self.problem:
            lines.append(Text(self.problem, style="red"))
        if plan.kind == "cuda" and plan.runs > 1:
            lines.append(Text("stacked seeds are counted one after another: an upper bound", style="dim"))
        lines.append(
            Text("runs as a background `gst run`; quitting or cancelling interrupts it (resumable)", style="dim")
        )
        return Group(*lines)

    def time_text(self) -> Text:
        """The estimated wall time, or what it still waits for."""
        between = self.overheads.between_s if self.overheads else 0.0
        train = training_seconds(self.plan, self.speeds, between)
        device = self.request.device
        if train is None:
            return Text(f"device {device}; estimated wall time: measuring…", style="bold")
        fixed = (self.overheads.before_s + self.overheads.after_s) if self.overheads else 0.0
        text = Text(f"device {device}; estimated wall time {duration(train + fixed)}", style="bold")
        text.append(f" ({duration(train)} training and testing", style="")
        text.append(f" + {duration(fixed)} start-up and wind-down)" if self.overheads else ", start-up not known)")
        return text
