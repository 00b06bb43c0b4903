"""Composer: build a pruning schedule field by field, validated and planned as you type; save or launch it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, Switch

from gst.engine.architectures import ARCHITECTURES
from gst.engine.errors import SpecError
from gst.engine.plan import plan
from gst.engine.preset import parse_value
from gst.engine.preset_writer import preset_toml
from gst.engine.spec import BN_ON_PRUNE, DATASETS, MODES, SCORES, TARGETS, RunSpec, spec_from_dict
from gst.store.db import files_dir
from gst.tui.render import plan_table

# (field, default, list-valued) for text inputs; selects and switches below.
RUN_INPUTS = [
    ("examples_per_class", "64", False),
    ("epochs", "5", False),
    ("lr", "1e-3", False),
    ("lr_milestones", "", True),
    ("batch_size", "32", False),
    ("seeds", "0, 1", True),
]
PRUNE_INPUTS = [
    ("layers", "fc1", True),
    ("start_epoch", "1", True),
    ("end_epoch", "3", True),
    ("fraction", "0.9", True),
    ("rate", "", True),
    ("retrain_period", "1", False),
]
SELECTS = {
    "model": (tuple(ARCHITECTURES), "conv4"),
    "dataset": (DATASETS, "synthetic"),
    "score": (SCORES, "magnitude"),
    "target": (TARGETS, "large"),
    "mode": (MODES, "linear_to_p"),
    "bn_on_prune": (BN_ON_PRUNE, "mask"),
}
KEY = re.compile(r"^composer: (?:prune\.)?([a-z_]+)")


def field_row(name: str, widget: Input | Select[str] | Switch) -> Vertical:
    """Label, widget and the error line beside it."""
    return Vertical(
        Label(name, classes="field-name"), widget, Label("", id=f"err-{name}", classes="field-error"), classes="field"
    )


class ComposerScreen(Screen[None]):
    """A form for every spec key, a live plan, and save/launch."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save TOML"),
        Binding("ctrl+l", "launch", "Launch"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def compose(self) -> ComposeResult:
        """Form on the left, plan preview and actions on the right."""
        yield Header()
        with Horizontal():
            with VerticalScroll(id="composer-form"):
                for name in ("model", "dataset"):
                    options, default = SELECTS[name]
                    yield field_row(name, Select([(o, o) for o in options], value=default, allow_blank=False, id=name))
                for name, default, _ in RUN_INPUTS:
                    yield field_row(name, Input(default, id=name))
                yield field_row("augment", Switch(False, id="augment"))
                yield field_row("prune", Switch(True, id="prune"))
                for name in ("score", "target", "mode", "bn_on_prune"):
                    options, default = SELECTS[name]
                    yield field_row(name, Select([(o, o) for o in options], value=default, allow_blank=False, id=name))
                for name, default, _ in PRUNE_INPUTS:
                    yield field_row(name, Input(default, id=name))
            with Vertical(id="composer-side"):
                yield Static(id="composer-status")
                with VerticalScroll():
                    yield Static(id="composer-plan")
                with Horizontal(id="composer-actions"):
                    yield Input("my-preset.toml", id="save-path")
                    yield Button("Save", id="save")
                    yield Button("Launch", id="launch-composed", variant="success")
        yield Footer()

    def on_mount(self) -> None:
        """Validate the defaults."""
        self.validate()

    def raw(self) -> tuple[dict[str, Any], list[int]]:
        """The form as spec data, and the seeds."""

        def value(name: str, is_list: bool) -> Any:
            text = self.query_one(f"#{name}", Input).value.strip()
            if not is_list:
                return parse_value(text)
            items = [item.strip() for item in text.split(",") if item.strip()]
            return [parse_value(item) for item in items]

        raw: dict[str, Any] = {name: self.query_one(f"#{name}", Select).value for name in ("model", "dataset")}
        raw |= {name: value(name, is_list) for name, _, is_list in RUN_INPUTS if name != "seeds"}
        raw["augment"] = self.query_one("#augment", Switch).value
        if self.query_one("#prune", Switch).value:
            prune = {
                name: self.query_one(f"#{name}", Select).value for name in ("score", "target", "mode", "bn_on_prune")
            }
            prune |= {name: value(name, is_list) for name, _, is_list in PRUNE_INPUTS}
            if prune["mode"] != "constant_rate" and prune["rate"] == []:
                del prune["rate"]
            raw["prune"] = prune
        return raw, value("seeds", True)

    def spec(self) -> tuple[RunSpec, tuple[int, ...]]:
        """The validated spec and seeds (SpecError otherwise)."""
        raw, seeds = self.raw()
        if (
            not isinstance(seeds, list)
            or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
        ):
            raise SpecError(f"composer: seeds: {seeds!r} must be integers >= 0, for example 0, 1, 2")
        return spec_from_dict(raw, "composer"), tuple(seeds)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def validate(self) -> bool:
        """Re-check everything; put the message beside its field and refresh the plan."""
        for label in self.query(".field-error"):
            label.update("")  # type: ignore[attr-defined]
        status = self.query_one("#composer-status", Static)
        try:
            spec, seeds = self.spec()
        except SpecError as exc:
            message = str(exc)
            match = KEY.match(message)
            field = match.group(1) if match else ""
            if self.query(f"#err-{field}"):
                self.query_one(f"#err-{field}", Label).update(message.removeprefix("composer: "))
            status.update(Text(f"✗ {message}", style="bold red"))
            return False
        status.update(Text(f"✓ valid: {spec.label}, {spec.epochs} epochs, {len(seeds)} seeds", style="bold green"))
        self.query_one("#composer-plan", Static).update(Group(plan_table(spec.label, plan(spec))))
        return True

    def _write(self, path: Path) -> Path | None:
        try:
            spec, seeds = self.spec()
        except SpecError as exc:
            self.notify(str(exc), severity="error")
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(preset_toml(spec, seeds=seeds, title=f"composed: {spec.label}"))
        except OSError as exc:
            self.notify(f"{path}: cannot write ({exc.strerror})", severity="error")
            return None
        return path

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        """Write the preset file named in the path box."""
        path = self._write(Path(self.query_one("#save-path", Input).value.strip() or "my-preset.toml"))
        if path is not None:
            self.notify(f"saved {path}")

    @on(Button.Pressed, "#launch-composed")
    def action_launch(self) -> None:
        """Save beside the database and queue it as a sweep."""
        path = self._write(files_dir(self.app.db) / "composed" / f"composed-{time.strftime('%Y%m%d-%H%M%S')}.toml")  # type: ignore[attr-defined]
        if path is not None:
            self.app.launch(["spec", str(path)], path.stem)  # type: ignore[attr-defined]
