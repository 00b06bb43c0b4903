"""`gst tui`: choose or compose an experiment, launch it, watch it live, compare arms."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from gst.engine.errors import GstError
from gst.store import queries
from gst.tui.launcher import Launch, Launcher
from gst.tui.screens.composer import ComposerScreen
from gst.tui.screens.dashboard import DashboardScreen
from gst.tui.screens.help import HelpScreen
from gst.tui.screens.presets import PresetsScreen
from gst.tui.screens.runs import RunsScreen
from gst.tui.screens.summary import SummaryScreen


class GstApp(App[None]):
    """Owns the database path and the launcher; screens read the database and post nothing else."""

    CSS_PATH = "gst.tcss"
    TITLE = "gst"
    SUB_TITLE = "generalization-stability tradeoff"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("p", "presets", "Presets", show=False),
    ]

    def __init__(self, db: Path, data_dir: Path | None = None) -> None:
        super().__init__()
        self.db = db
        self.data_dir = data_dir
        self.launcher = Launcher(db, self.launch_changed)

    def on_mount(self) -> None:
        """Start the launch queue and open the presets."""
        self.launcher.start()
        self.push_screen(PresetsScreen())
        self.check_running()

    def check_running(self) -> None:
        """Point at a sweep that another process is running right now."""
        try:
            running = [s for s in queries.sweeps(self.db) if s["running"]] if self.db.exists() else []
        except GstError:
            return
        if running:
            self.notify(f"sweep {running[0]['sweep_id']} ({running[0]['preset']}) is running: press d to watch it")

    def launch(self, target: list[str], label: str, *, device: str = "auto", seeds: str = "", arms: str = "") -> None:
        """Queue a sweep and open its dashboard."""
        data_dir = str(self.data_dir) if self.data_dir else ""
        launch = self.launcher.submit(target, label, device=device, seeds=seeds, arms=arms, data_dir=data_dir)
        self.push_screen(DashboardScreen(launch.sweep_id))

    def launch_changed(self, launch: Launch) -> None:
        """One notification per state change of a launched sweep."""
        if launch.state == "failed":
            detail = launch.stderr_tail[-1] if launch.stderr_tail else "see gst runs"
            self.notify(f"sweep {launch.sweep_id} failed: {detail}", severity="error", timeout=10)
        elif launch.state in ("running", "done", "cancelled"):
            self.notify(f"sweep {launch.sweep_id} ({launch.label}): {launch.state}")

    def action_help(self) -> None:
        """Every binding, app-wide and per screen."""
        groups = {"everywhere": list(self.BINDINGS)}
        for cls in (PresetsScreen, ComposerScreen, DashboardScreen, SummaryScreen, RunsScreen):
            groups[cls.__name__.removesuffix("Screen").lower()] = [b for b in cls.BINDINGS if isinstance(b, Binding)]
        groups["runs"].append(Binding("/", "filter", "filter runs"))
        self.push_screen(HelpScreen(groups))

    def action_presets(self) -> None:
        """Back to the presets screen."""
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_composer(self) -> None:
        """Open the composer."""
        self.push_screen(ComposerScreen())

    def action_runs(self) -> None:
        """Open the runs browser."""
        self.push_screen(RunsScreen())

    def action_dashboard(self, sweep_id: str = "latest") -> None:
        """Watch the latest sweep (or the one launched last)."""
        launch = self.launcher.running or (self.launcher.launches[-1] if self.launcher.launches else None)
        self.push_screen(DashboardScreen(launch.sweep_id if launch else sweep_id))

    def action_summary(self) -> None:
        """Summary of the latest sweep."""
        self.push_screen(SummaryScreen("latest"))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) lists gst's screens too."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Presets", "Pick and launch a preset", self.action_presets)
        yield SystemCommand("Compose", "Build a pruning schedule", self.action_composer)
        yield SystemCommand("Runs", "Browse sweeps and runs", self.action_runs)
        yield SystemCommand("Dashboard", "Watch the latest sweep live", self.action_dashboard)
        yield SystemCommand("Summary", "Instability vs accuracy of the latest sweep", self.action_summary)

    async def action_quit(self) -> None:
        """Interrupt a sweep this window launched (it stays resumable), then exit."""
        await self.launcher.stop()
        self.exit()
