"""Composer: build arms field by field, validated and planned as you type; load a preset or TOML, save or launch."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, Switch

from gst.engine.spec.architectures import ARCHITECTURES
from gst.engine.spec.errors import GstError, SpecError
from gst.engine.spec.plan import plan
from gst.engine.spec.preset import ARM_NAME, Sweep, builtin_names, parse_preset, parse_value
from gst.engine.spec.preset_writer import arms_toml
from gst.engine.spec.specs import BN_ON_PRUNE, DATASETS, MODES, SCORES, TARGETS, RunSpec, spec_from_dict, spec_to_dict
from gst.store.db import files_dir
from gst.tui.app.composer_arms import LoadedArms, arms_text, edit_text, load_sweep_from
from gst.tui.app.messages import LaunchRequested
from gst.tui.app.screens.base import GstScreen
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.widgets.spec_form import ADVANCED_FIELDS, AdvancedFields, field_row, form_text
from gst.tui.report.tables import Fitted, plan_table

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


WIDE = 120  # from this many columns the form has two columns


class ComposerScreen(GstScreen):
    """A form for every spec key, a live plan, several named arms, load, save (never silently over a file), launch."""

    BINDINGS = [  # priority: they work while a text box has the focus (ctrl+a there no longer jumps to the start)
        Binding("ctrl+s", "save", "Save TOML", priority=True),
        Binding("ctrl+o", "load", "Load", priority=True),
        Binding("ctrl+a", "add_arm", "Add arm", priority=True),
        Binding("ctrl+l", "launch", "Launch…", priority=True),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.arms: list[tuple[str, RunSpec]] = []
        self.title_text = ""
        self.loaded: LoadedArms | None = None  # a loaded preset's arms, which follow edits of their shared fields
        self.last_form: RunSpec | None = None
        self.edit_note = Text()
        self.clean: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        """Form on the left, status, arms, plan preview and actions on the right."""
        yield Header()
        with Horizontal():
            with VerticalScroll(id="composer-form"):
                for name in ("model", "dataset"):
                    options, default = SELECTS[name]
                    yield field_row(
                        name, Select([(o, o) for o in options], value=default, allow_blank=False, id=name, compact=True)
                    )
                for name, default, _ in RUN_INPUTS:
                    yield field_row(name, Input(default, id=name, compact=True))
                yield field_row("augment", Switch(False, id="augment"))
                yield field_row("prune", Switch(True, id="prune"))
                for name in ("score", "target", "mode", "bn_on_prune"):
                    options, default = SELECTS[name]
                    yield field_row(
                        name, Select([(o, o) for o in options], value=default, allow_blank=False, id=name, compact=True)
                    )
                for name, default, _ in PRUNE_INPUTS:
                    yield field_row(name, Input(default, id=name, compact=True))
                yield AdvancedFields()
            with Vertical(id="composer-side"):
                yield Static(id="composer-status")
                yield Static(id="composer-arms")
                with VerticalScroll(id="composer-plan-scroll"):
                    yield Static(id="composer-plan")
                with Vertical(id="composer-actions"):
                    with Horizontal(classes="composer-row"):
                        yield Input("prune_L", id="arm-name", compact=True)
                        yield Button("Add arm", id="add-arm", compact=True)
                        yield Button("Drop arm", id="drop-arm", compact=True)
                    with Horizontal(classes="composer-row"):
                        yield Input("my-preset.toml", id="save-path", compact=True)
                        yield Button("Load", id="load", compact=True)
                        yield Button("Save", id="save", compact=True)
                        yield Button("Launch…", id="launch-composed", variant="success", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Validate the defaults; nothing to lose yet."""
        self.validate()
        self.mark_clean()

    def state(self) -> tuple[object, ...]:
        """Everything Esc would throw away: every field's value and the arms."""
        boxes = self.query("#composer-form Input, #composer-form Select, #composer-form Switch")
        fields = tuple((w.id, w.value) for w in boxes if isinstance(w, Input | Select | Switch))
        return fields, tuple(self.arms)

    def mark_clean(self) -> None:
        """The form and arms as they are now are saved, loaded or launched."""
        self.clean = self.state()

    def unless_unsaved(self, title: str, what: str, then: Callable[[], object]) -> None:
        """Do `then` now, or after a yes when the form or the arms changed since the last save, load or launch."""
        if self.state() == self.clean:
            then()
            return
        changed = f"{len(self.arms)} arm(s) and the form have" if self.arms else "the form has"
        body = Text(f"{changed} changes that are not saved; {what} (ctrl+s saves them first).")

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(title, body, yes="Discard", no="Stay"), answered)

    def action_back(self) -> None:
        """Leave; with unsaved changes, only after a yes."""
        self.unless_unsaved("Leave the composer?", "leaving discards them", self.app.go_back)

    def on_resize(self) -> None:
        """Two columns of fields on wide terminals."""
        self.query_one("#composer-form").set_class(self.size.width >= WIDE, "wide")

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
        advanced = self.query_one(AdvancedFields)
        raw |= advanced.run_values()
        if self.query_one("#prune", Switch).value:
            prune = {
                name: self.query_one(f"#{name}", Select).value for name in ("score", "target", "mode", "bn_on_prune")
            }
            prune |= {name: value(name, is_list) for name, _, is_list in PRUNE_INPUTS}
            if prune["mode"] != "constant_rate" and prune["rate"] == []:
                del prune["rate"]
            raw["prune"] = prune | advanced.prune_values()
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

    def fill(self, spec: RunSpec, seeds: tuple[int, ...], prune_from: RunSpec | None = None) -> None:
        """Put a spec into the form (keys the form has no field for keep their defaults); an unpruned spec's
        pruning fields show `prune_from`'s, so that switching pruning on starts from the preset's."""
        data = spec_to_dict(spec)
        prune = data.get("prune") or (spec_to_dict(prune_from).get("prune") if prune_from else None) or {}
        for name in ("model", "dataset"):
            self.query_one(f"#{name}", Select).value = data[name]
        for name, _, _ in RUN_INPUTS:
            text = form_text(list(seeds)) if name == "seeds" else form_text(data[name])
            self.query_one(f"#{name}", Input).value = text
        self.query_one("#augment", Switch).value = bool(data["augment"])
        self.query_one("#prune", Switch).value = spec.prune is not None
        if prune:
            for name in ("score", "target", "mode", "bn_on_prune"):
                self.query_one(f"#{name}", Select).value = prune[name]
            for name, _, _ in PRUNE_INPUTS:
                self.query_one(f"#{name}", Input).value = form_text(prune.get(name, ""))
        self.query_one(AdvancedFields).fill(spec)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def validate(self) -> bool:
        """Re-check everything; put the message beside its field and refresh the plan."""
        for label in self.query(".field-error").results(Label):
            label.update("")
        status = self.query_one("#composer-status", Static)
        try:
            spec, seeds = self.spec()
        except SpecError as exc:
            message = str(exc)
            match = KEY.match(message)
            field = match.group(1) if match else ""
            if self.query(f"#err-{field}"):
                self.query_one(f"#err-{field}", Label).update(Text(message.removeprefix("composer: ")))
            if field in ADVANCED_FIELDS:  # an error in the folded section opens it
                self.query_one(AdvancedFields).collapsed = False
            status.update(Text(f"✗ {message}", style="bold red"))
            return False
        status.update(Text(f"✓ valid: {spec.label}, {spec.epochs} epochs, {len(seeds)} seeds", style="bold green"))
        moments = plan(spec)
        self.query_one("#composer-plan", Static).update(Fitted(lambda width: plan_table(spec.label, moments, width)))
        self.apply_to_loaded(spec)
        self.show_arms(len(seeds))
        return True

    def apply_to_loaded(self, form: RunSpec) -> None:
        """Loaded arms take the form's values of the fields they share; say what the edit did to them."""
        if self.loaded is not None and form != self.last_form:
            arms, edited, errors = self.loaded.apply(form)
            self.arms = [(n, arms.get(n, s)) for n, s in self.arms]
            differ = self.loaded.differing(self.last_form, form) if self.last_form else []
            self.edit_note = edit_text(edited, differ, errors) or self.edit_note
        self.last_form = form

    def show_arms(self, seeds: int | None = None) -> None:
        """What the launch will train: the arms (the form alone when none are added), runs and epochs in all."""
        text = arms_text(self.arms, self.last_form, seeds, self.edit_note)
        self.query_one("#composer-arms", Static).update(text)

    @on(Button.Pressed, "#add-arm")
    def action_add_arm(self) -> None:
        """Add the form as a named arm; an arm of the same name is replaced (in its place) only after a yes."""
        name = self.query_one("#arm-name", Input).value.strip()
        if not ARM_NAME.match(name):
            self.notify(f"arm name: {name!r} must be letters, digits, '_', '-' or '.'", severity="error")
            return
        try:
            spec, seeds = self.spec()
        except SpecError as exc:
            self.notify(str(exc), severity="error")
            return

        def put(yes: bool | None = True) -> None:
            if not yes:
                return
            if self.loaded is not None:
                self.loaded.arms.pop(name, None)  # the arm is the form's copy now: it no longer follows edits
            names = [n for n, _ in self.arms]
            if name in names:
                self.arms[names.index(name)] = (name, spec)
            else:
                self.arms.append((name, spec))
            self.edit_note = Text(f"arm {name} = the form ({spec.label})", style="green")
            self.show_arms(len(seeds))

        old = next((s for n, s in self.arms if n == name), None)
        if old is None:
            put()
            return
        body = Text(f"arm {name} ({old.label}, {old.epochs} epochs) exists; the form ({spec.label}) replaces it.")
        self.app.push_screen(ConfirmScreen(f"Replace arm {name}?", body, yes="Replace", no="Keep"), put)

    @on(Button.Pressed, "#drop-arm")
    def drop_arm(self) -> None:
        """Remove the arm named in the arm box, else the last one."""
        name = self.query_one("#arm-name", Input).value.strip()
        names = [n for n, _ in self.arms]
        if name in names:
            self.arms = [(n, s) for n, s in self.arms if n != name]
        elif self.arms:
            name = self.arms.pop()[0]
        if self.loaded is not None:
            self.loaded.arms.pop(name, None)
        self.validate()

    @on(Button.Pressed, "#load")
    def action_load(self) -> None:
        """Load the preset named (or the TOML file at the path) in the path box (asking first over unsaved work)."""
        text = self.query_one("#save-path", Input).value.strip()
        try:
            sweep = load_sweep_from(text)
        except (GstError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.unless_unsaved(f"Load {sweep.name}?", "loading replaces them", lambda: self.load_sweep(sweep, text))

    def load_sweep(self, sweep: Sweep, text: str) -> None:
        """Its arms, seeds and title; the form shows the first arm, and edits of shared fields reach every arm."""
        self.arms = [(a.name, a.spec) for a in sweep.arms]
        self.title_text = sweep.title
        pruned = next((a.spec for a in sweep.arms if a.spec.prune is not None), None)
        self.loaded = None
        self.fill(sweep.arms[0].spec, sweep.seeds, prune_from=pruned)
        self.query_one("#arm-name", Input).value = sweep.arms[0].name
        if text in builtin_names():
            self.query_one("#save-path", Input).value = f"{text}.toml"
        try:
            form, _ = self.spec()
        except SpecError:
            form = sweep.arms[0].spec
        self.loaded, self.last_form = LoadedArms.link(self.arms, form), form
        self.edit_note = Text("edits of fields all arms share (epochs, lr, data...) apply to every arm", style="dim")
        self.show_arms(len(sweep.seeds))
        self.mark_clean()
        self.notify(f"loaded {sweep.name}: {len(sweep.arms)} arms, seeds {list(sweep.seeds)}")

    def preset_text(self, name: str) -> str | None:
        """The preset file of the arms (or of the form alone), titled after the file; None after an error."""
        try:
            spec, seeds = self.spec()
        except SpecError as exc:
            self.notify(str(exc), severity="error")
            return None
        arms = self.arms or [(name, spec)]
        return arms_toml(arms, seeds=seeds, title=self.title_text or f"composed: {name}")

    def write(self, path: Path) -> Path | None:
        """Write the preset file; the path on success."""
        text = self.preset_text(path.stem)
        if text is None:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        except OSError as exc:
            self.notify(f"{path}: cannot write ({exc.strerror})", severity="error")
            return None
        return path

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        """Write the preset file named in the path box; an existing file is replaced only after a yes."""
        path = Path(self.query_one("#save-path", Input).value.strip() or "my-preset.toml")
        if path.suffix != ".toml":
            path = path.with_name(path.name + ".toml")

        def save(yes: bool | None = True) -> None:
            if yes and self.write(path) is not None:
                self.mark_clean()
                self.notify(f"saved {path.resolve()}")

        if path.exists():
            body = Text(f"{path.resolve()} exists; saving replaces it.")
            self.app.push_screen(ConfirmScreen(f"Overwrite {path.name}?", body, yes="Overwrite", no="Keep"), save)
        else:
            save()

    @on(Button.Pressed, "#launch-composed")
    def action_launch(self) -> None:
        """Save a copy beside the database, named after the path box, and ask the app to confirm and launch it."""
        name = Path(self.query_one("#save-path", Input).value.strip() or "composed").stem
        if not ARM_NAME.match(name):
            self.notify(f"file name: {name!r} must be letters, digits, '_', '-' or '.'", severity="error")
            return
        folder = files_dir(self.app.db) / "composed" / time.strftime("%Y%m%d-%H%M%S")
        path = self.write(folder / f"{name}.toml")
        if path is None:
            return
        sweep = parse_preset(path.read_text(), name=name)
        specs = [arm.spec for arm in sweep.arms for _ in sweep.seeds]
        self.post_message(LaunchRequested(["spec", str(path)], name, specs))
