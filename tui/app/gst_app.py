"""`gst tui`: choose or compose an experiment, launch it, watch it live, compare arms."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen

from gst.engine.spec.errors import GstError
from gst.store import launches, queries
from gst.tui.app.launcher import Launch, Launcher
from gst.tui.app.messages import CancelRequested, LaunchRequested, ResumeRequested, RunsMarked, SweepSelected
from gst.tui.app.navigation import HISTORY, SCREEN_KEYS, make_screen
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.report.cells import clean


class GstApp(App[None]):
    """Owns the database path, the launcher and the current sweep; screens read the database and post messages."""

    CSS_PATH = "gst.tcss"
    DEFAULT_MODE = "presets"  # every screen key is a mode: one instance each, its state kept, never stacked
    TITLE = "gst"
    SUB_TITLE = "generalization-stability tradeoff"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("colon", "jump", "Jump"),
        *(Binding(key, f"open('{name}')", label, show=False) for key, (name, label) in SCREEN_KEYS.items()),
    ]

    def __init__(self, db: Path, data_dir: Path | None = None) -> None:
        super().__init__()
        self.db = db
        self.data_dir = data_dir
        self.launcher = Launcher(db, self.launch_changed)
        self.selected_sweep: str | None = None
        self.marked: tuple[str, frozenset[str]] = ("", frozenset())  # (sweep id, run ids) marked in the run table
        self.history: list[str] = []  # modes left, most recent last: Esc on a screen's own page goes back there
        for name, _ in SCREEN_KEYS.values():
            self.add_mode(name, partial(make_screen, self, name))

    def on_mount(self) -> None:
        """Start the launch queue (the presets screen is the default mode's)."""
        self.launcher.start()
        self.startup_notices()

    def startup_notices(self) -> None:
        """Point at a sweep another process runs right now, and at interrupted sweeps that can be resumed."""
        try:
            rows = queries.sweeps(self.db) if self.db.exists() else []
            interrupted = queries.interrupted_sweep_ids(self.db) if rows else []
        except GstError:
            return
        running = [s for s in rows if s["running"]]
        if running:
            self.notify(f"sweep {running[0]['sweep_id']} ({running[0]['preset']}) is running: press d to watch it")
        if interrupted:
            ids = ", ".join(interrupted[:3])
            self.notify(f"{len(interrupted)} interrupted sweep(s) ({ids}): r, then u resumes one", severity="warning")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast is literal text: messages carry names, paths, stderr lines and errors from users' files."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout, markup=False)

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header line, literal as Textual makes it, without control characters (ids may come from any file)."""
        return super().format_title(clean(title), clean(sub_title))

    # -- the current sweep -------------------------------------------------

    def current_sweep(self) -> tuple[str, str]:
        """(sweep id, why): the one the user selected, else the most recent running one, else the newest."""
        if self.selected_sweep is not None:
            return self.selected_sweep, "selected"
        try:
            rows = queries.sweeps(self.db) if self.db.exists() else []
        except GstError:
            rows = []
        running = [s for s in rows if s["running"]]
        if running:
            return running[0]["sweep_id"], "running"
        if self.launcher.launches:
            return self.launcher.launches[-1].sweep_id, "launched here"
        return "latest", "newest"

    @on(SweepSelected)
    def sweep_selected(self, message: SweepSelected) -> None:
        """`d` and `s` follow the sweep the user picked; with `then`, show it there at once."""
        self.selected_sweep = message.sweep_id
        if message.then:
            self.action_open(message.then)

    @on(RunsMarked)
    def runs_marked(self, message: RunsMarked) -> None:
        """Remember the marked runs: the charts overlay them."""
        self.marked = (message.sweep_id, message.run_ids)

    # -- launching ---------------------------------------------------------

    @on(LaunchRequested)
    def launch_requested(self, message: LaunchRequested) -> None:
        """Show the plan, its data and its estimated wall time; launch only on yes."""
        from gst.tui.app.screens.launch_confirm import LaunchConfirmScreen  # loaded when first needed (start-up)

        def answered(yes: bool | None) -> None:
            if yes:
                self.launch(message)

        self.push_screen(LaunchConfirmScreen(message, self.db, self.data_dir), answered)

    def launch(self, message: LaunchRequested) -> None:
        """Queue the sweep, make it current and open its dashboard."""
        data_dir = str(self.data_dir) if self.data_dir else ""
        launch = self.launcher.submit(
            message.target,
            message.label,
            device=message.device,
            seeds=message.seeds,
            arms=message.arms,
            data_dir=data_dir,
        )
        self.selected_sweep = launch.sweep_id
        self.action_open("dashboard")

    @on(CancelRequested)
    def cancel_requested(self, message: CancelRequested) -> None:
        """Confirm, then interrupt (or unqueue) a sweep this window launched."""
        launch = self.launcher.find(message.sweep_id)
        if launch is None or launch.state not in ("queued", "running"):
            self.notify(
                f"sweep {message.sweep_id} is not running from this window: stop it where it runs (Ctrl-C)",
                severity="warning",
            )
            return

        def answered(yes: bool | None) -> None:
            if yes and self.launcher.cancel(message.sweep_id):
                self.notify(f"cancelling {message.sweep_id}: the current run is marked interrupted")

        body = Text(f"{launch.label} is {launch.state}; its current run stops and can be resumed later (u).")
        self.push_screen(
            ConfirmScreen(f"Cancel sweep {message.sweep_id}?", body, yes="Cancel sweep", no="Keep"), answered
        )

    @on(ResumeRequested)
    def resume_requested(self, message: ResumeRequested) -> None:
        """Queue `gst resume` and watch it (a launch that failed before registering its sweep has nothing to resume)."""
        if self.db.exists() and not launches.registered(self.db, message.sweep_id):
            self.notify(
                f"sweep {message.sweep_id} never started: o shows why; launch it again (p or c)", severity="warning"
            )
            return
        self.launcher.resume(message.sweep_id)
        self.selected_sweep = message.sweep_id
        self.notify(f"resume of {message.sweep_id} queued")

    def launch_changed(self, launch: Launch) -> None:
        """One notification per state change of a launched sweep; failures say where the log is."""
        if launch.state == "failed":
            detail = launch.stderr_tail[-1] if launch.stderr_tail else f"exit code {launch.returncode}"
            self.notify(f"sweep {launch.sweep_id} failed: {detail} (o: log)", severity="error", timeout=15)
        elif launch.state in ("running", "done", "cancelled"):
            self.notify(f"sweep {launch.sweep_id} ({launch.label}): {launch.state}")

    # -- navigation --------------------------------------------------------

    def action_open(self, name: str) -> None:
        """Switch to a screen (k9s style): one instance per screen, never stacked; its key again closes what was
        opened on top of it (a run, a question). Sweep screens follow the current sweep."""
        if name == self.current_mode:
            while len(self.screen_stack) > 1:
                self.pop_screen()
        else:
            self.history = [m for m in self.history if m not in (self.current_mode, name)][-HISTORY:]
            self.history.append(self.current_mode)
        stack = self._screen_stacks.get(name)
        follow = getattr(stack[0], "follow", None) if stack else None
        if follow is not None:
            follow(*self.current_sweep())
        self.switch_mode(name)

    def go_back(self) -> None:
        """Esc: close what is on top (a run, a question), else go back to the screen shown before."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.history:
            self.switch_mode(self.history.pop())

    async def action_back(self) -> None:
        """`app.back`: see `go_back`."""
        self.go_back()

    async def action_pop_screen(self) -> None:
        """Screens bound to `app.pop_screen` go back the same way (a screen's own page is never popped)."""
        self.go_back()

    def action_jump(self) -> None:
        """k9s-style `:name` jump to any screen."""
        from gst.tui.app.screens.jump import JumpScreen

        def chosen(name: str | None) -> None:
            if name:
                self.action_open(name)

        self.push_screen(JumpScreen([name for name, _ in SCREEN_KEYS.values()]), chosen)

    def action_help(self) -> None:
        """Every key of the screen shown: its own, its focused widget's and the app's."""
        from gst.tui.app.screens.help import HelpScreen, screen_bindings

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(screen_bindings(self.screen)))

    def action_dashboard(self) -> None:
        """Watch the current sweep."""
        self.action_open("dashboard")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) lists gst's screens too; screenshots go to a folder that exists."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":  # Textual's default saves to a downloads folder that may not exist
                yield SystemCommand(command.title, command.help, self.save_screenshot_here)
            else:
                yield command
        for key, (name, label) in SCREEN_KEYS.items():
            yield SystemCommand(label, f"open the {name} screen ({key})", lambda n=name: self.action_open(n))

    def save_screenshot_here(self) -> None:
        """An SVG of the screen in the working directory, with its absolute path shown."""
        path = Path(self.save_screenshot(path=str(Path.cwd()))).resolve()
        self.notify(f"screenshot: {path}")

    async def action_quit(self) -> None:
        """Quit; while a sweep this window launched runs, ask first (it is interrupted and stays resumable)."""
        if not self.launcher.busy:
            await self.shutdown()
            return
        launch = self.launcher.running or next(x for x in self.launcher.launches if x.state == "queued")
        body = Text(f"sweep {launch.sweep_id} ({launch.label}) is {launch.state}; quitting interrupts it (u resumes).")

        async def answered(yes: bool | None) -> None:
            if yes:
                await self.shutdown()

        self.push_screen(ConfirmScreen("Quit gst?", body, yes="Quit", no="Stay"), answered)

    async def shutdown(self) -> None:
        """Interrupt a sweep this window launched, then exit."""
        await self.launcher.stop()
        self.exit()
