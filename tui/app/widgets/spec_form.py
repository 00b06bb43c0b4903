"""Pieces of the composer's form: a labelled field with its error line, and the later paper's keys folded away.

The later keys (optimizer, momentum, weight decay, noise instead of pruning; method-later.md §1, §3.4) matter
for a few presets only, so they sit in a collapsed section that keeps the form readable at 80x24. Each
field shows only when it means something: momentum with SGD, the window B with a windowed noise kind, the
counting mode with any noise. The engine's spec check validates what they produce, like every other field.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.containers import Vertical
from textual.widgets import Collapsible, Input, Label, Select, Switch

from gst.engine.spec.noise_kind import NOISE_COUNTS, NOISE_KINDS, NoiseKind
from gst.engine.spec.preset import parse_value
from gst.engine.spec.specs import OPTIMIZERS, RunSpec

NO_NOISE = "none (prune)"
ADVANCED_FIELDS = ("optimizer", "momentum", "weight_decay", "noise", "noise_window", "noise_count")


def form_text(value: Any) -> str:
    """How a spec value is typed into a field: lists as '1, 2', strings bare."""
    if isinstance(value, list | tuple):
        return ", ".join(form_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_row(name: str, widget: Input | Select[str] | Switch, label: str = "") -> Vertical:
    """Label, widget and the error line under it (`err-NAME`, filled by the composer's validation)."""
    return Vertical(
        Label(label or name, classes="field-name"),
        widget,
        Label("", id=f"err-{name}", classes="field-error"),
        classes="field",
        id=f"field-{name}",
    )


def noise_value(kind: str, window: str) -> str:
    """The `prune.noise` text of a kind and a window B ('' for no noise); the spec check judges the result."""
    if kind == NO_NOISE:
        return ""
    return kind.replace("{B}", window.strip())


def noise_parts(kind: NoiseKind | None) -> tuple[str, str]:
    """The form's (kind, B) for a spec's noise kind."""
    if kind is None:
        return NO_NOISE, ""
    if kind.family == "prune_l":
        return kind.text, ""
    return f"{kind.family}_{{B}}_{kind.step}", str(kind.window)


class AdvancedFields(Collapsible):
    """Optimizer, momentum, weight decay and noise; `run_values()` and `prune_values()` give the spec keys."""

    def __init__(self) -> None:
        def select(name: str, options: tuple[str, ...], value: str) -> Select[str]:
            return Select([(o, o) for o in options], value=value, allow_blank=False, id=name, compact=True)

        super().__init__(
            field_row("optimizer", select("optimizer", OPTIMIZERS, "adam")),
            field_row("momentum", Input("0.9", id="momentum", compact=True)),
            field_row("weight_decay", Input("0", id="weight_decay", compact=True)),
            field_row("noise", select("noise", (NO_NOISE, *NOISE_KINDS), NO_NOISE), "noise (prune.noise)"),
            field_row("noise_window", Input("0", id="noise_window", compact=True), "noise window B"),
            field_row("noise_count", select("noise_count", NOISE_COUNTS, "forwards"), "noise counts"),
            title="advanced: optimizer, noise",
            collapsed=True,
            id="advanced",
        )

    def on_mount(self) -> None:
        """Hide what the defaults do not use."""
        self.sync()

    def value(self, name: str) -> str:
        """A select's choice or an input's text."""
        widget = self.query_one(f"#{name}")
        return str(widget.value).strip()  # type: ignore[attr-defined]  # every field is an Input or a Select

    @on(Select.Changed)
    def sync(self) -> None:
        """Show momentum with SGD, B with a windowed noise kind, the counting mode with any noise."""
        noise = self.value("noise")
        self.query_one("#field-momentum").display = self.value("optimizer") == "sgd"
        self.query_one("#field-noise_window").display = "{B}" in noise
        self.query_one("#field-noise_count").display = noise != NO_NOISE

    def run_values(self) -> dict[str, Any]:
        """optimizer, weight_decay, and momentum when SGD is chosen (the spec refuses it with Adam)."""
        values = {"optimizer": self.value("optimizer"), "weight_decay": parse_value(self.value("weight_decay"))}
        if values["optimizer"] == "sgd":
            values["momentum"] = parse_value(self.value("momentum"))
        return values

    def prune_values(self) -> dict[str, Any]:
        """noise and noise_count when a noise kind is chosen (none: ordinary pruning)."""
        noise = noise_value(self.value("noise"), self.value("noise_window"))
        return {"noise": noise, "noise_count": self.value("noise_count")} if noise else {}

    def fill(self, spec: RunSpec) -> None:
        """Show a spec's values; open the section when they differ from defaults."""
        kind, window = noise_parts(spec.prune.noise if spec.prune is not None else None)
        self.query_one("#optimizer", Select).value = spec.optimizer
        self.query_one("#momentum", Input).value = str(spec.momentum if spec.optimizer == "sgd" else 0.9)
        self.query_one("#weight_decay", Input).value = str(spec.weight_decay)
        self.query_one("#noise", Select).value = kind
        self.query_one("#noise_window", Input).value = window or "0"
        self.query_one("#noise_count", Select).value = spec.prune.noise_count if spec.prune is not None else "forwards"
        if spec.optimizer != "adam" or spec.weight_decay or kind != NO_NOISE:
            self.collapsed = False
        self.sync()
