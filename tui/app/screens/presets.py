"""Home screen: every preset with its description, expectation and plan preview; launch one."""

from __future__ import annotations

from functools import partial

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Static

from gst.engine.execution.jobs import parse_list, select_jobs
from gst.engine.spec.errors import GstError
from gst.engine.spec.plan import plan
from gst.engine.spec.preset import Sweep, builtin_names, load_preset
from gst.tui.app.messages import LaunchRequested
from gst.tui.app.screens.base import GstScreen
from gst.tui.report.tables import Fitted, plan_table

PREVIEW_ARMS = 4


def unwrap(text: str) -> str:
    """Paragraphs as single lines (TOML descriptions are wrapped by hand; the terminal wraps them again)."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


def preset_details(sweep: Sweep) -> Group:
    """Title, description, expectation and the plan of the first arms."""
    parts: list[object] = [
        Text(sweep.title, style="bold"),
        Text(unwrap(sweep.description)),
        Text(f"paper: {unwrap(sweep.expect)}", style="italic"),
        Text(
            f"{len(sweep.arms)} arms x {len(sweep.seeds)} seeds = {len(sweep.arms) * len(sweep.seeds)} runs",
            style="bold",
        ),
    ]
    for arm in sweep.arms[:PREVIEW_ARMS]:
        title, moments = f"{arm.name} ({arm.spec.label}, {arm.spec.epochs} epochs)", plan(arm.spec)
        parts.append(Fitted(partial(plan_table, title, moments)))
    if len(sweep.arms) > PREVIEW_ARMS:
        parts.append(
            Text(f"... and {len(sweep.arms) - PREVIEW_ARMS} more arms (gst plan preset {sweep.name})", style="dim")
        )
    return Group(*parts)  # type: ignore[arg-type]  # Fitted renders itself (__rich_console__)


class PresetsScreen(GstScreen):
    """Pick a preset, see what it will do, launch it."""

    BINDINGS = [
        Binding("l", "launch", "Launch…"),
        Binding("c", "app.open('composer')", "Compose"),
        Binding("r", "app.open('runs')", "Runs"),
        Binding("d", "app.open('dashboard')", "Dashboard"),
    ]

    def compose(self) -> ComposeResult:
        """Preset list on the left, details and launch form on the right."""
        yield Header()
        with Horizontal():
            yield OptionList(*builtin_names(), id="preset-list")
            with Vertical(id="preset-side"):
                with VerticalScroll(id="preset-details"):
                    yield Static(id="preset-info")
                with Horizontal(id="launch-form"):
                    yield Label("device")
                    yield Input("auto", id="device")
                    yield Label("seeds")
                    yield Input(placeholder="all", id="seeds")
                    yield Label("arms")
                    yield Input(placeholder="all", id="arms")
                    yield Button("Launch…", id="launch", variant="success")
        yield Footer()

    def on_mount(self) -> None:
        """Show the first preset."""
        self.query_one(OptionList).highlighted = 0

    @property
    def selected(self) -> str | None:
        """Name of the highlighted preset."""
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return str(options.get_option_at_index(options.highlighted).prompt)

    @on(OptionList.OptionHighlighted)
    def preview(self) -> None:
        """Update the details pane."""
        if self.selected is None:
            return
        try:
            self.query_one("#preset-info", Static).update(preset_details(load_preset(self.selected)))
        except GstError as exc:
            self.notify(str(exc), severity="error")

    @on(Button.Pressed, "#launch")
    def action_launch(self) -> None:
        """Validate seeds and arms here, then ask the app to confirm the plan and launch it (selecting only shows)."""
        name = self.selected
        if name is None:
            return
        device, seeds, arms = (self.query_one(f"#{i}", Input).value.strip() for i in ("device", "seeds", "arms"))
        try:
            jobs = select_jobs(
                load_preset(name), "check", parse_list(arms or None, "arms"), parse_list(seeds or None, "seeds")
            )
        except GstError as exc:
            self.notify(str(exc), severity="error")
            return
        specs = [job.spec for job in jobs]
        self.post_message(
            LaunchRequested(["preset", name], name, specs, device=device or "auto", seeds=seeds, arms=arms)
        )
