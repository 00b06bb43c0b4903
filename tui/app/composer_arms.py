"""The composer's arms: loaded from a preset or a TOML file, following edits of the fields they share, and the
lines that say what a launch will train.

After a preset is loaded, the form shows its first arm and the launch uses every loaded arm. A field whose
value all loaded arms share (epochs, lr, the data, the pruned arms' layers and fractions...) is the
preset's base: editing it in the form edits every loaded arm that has it. A field the arms differ in
(each arm's target, or pruning on/off) belongs to one arm and changes the form only. Edits are applied to
the arms as loaded, so setting a field back restores them exactly, and a value one arm cannot take (epochs
below its last pruning epoch) leaves that arm as it was, with the spec check's message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text

from gst.engine.spec.errors import SpecError
from gst.engine.spec.preset import Sweep, builtin_names, load_preset, parse_preset
from gst.engine.spec.specs import RunSpec, spec_from_dict, spec_to_dict

Flat = dict[str, Any]


def flat(spec: RunSpec) -> Flat:
    """'epochs', 'prune.fraction', ... -> value (lists compared whole)."""
    data = spec_to_dict(spec)
    out = {k: v for k, v in data.items() if k != "prune"}
    for key, value in (data.get("prune") or {}).items():
        out[f"prune.{key}"] = value
    return out


def nested(values: Flat, pruned: bool) -> dict[str, Any]:
    """The spec data of flat values (prune keys under `prune`, which is left out of an unpruned arm)."""
    out: dict[str, Any] = {k: v for k, v in values.items() if not k.startswith("prune.")}
    if pruned:
        out["prune"] = {k.removeprefix("prune."): v for k, v in values.items() if k.startswith("prune.")}
    return out


def shared_values(specs: list[RunSpec]) -> Flat:
    """Every field on which all the specs that have it agree."""
    flats = [flat(s) for s in specs]
    keys = {k for f in flats for k in f}
    shared = {}
    for key in sorted(keys):
        values = [f[key] for f in flats if key in f]
        if all(v == values[0] for v in values):
            shared[key] = values[0]
    return shared


@dataclass
class LoadedArms:
    """Arms as loaded, and the fields the form edits for all of them (those it showed at their shared value)."""

    arms: dict[str, RunSpec]
    tracked: Flat  # field -> the value all loaded arms had
    untracked: set[str] = field(default_factory=set)  # fields the form shows that the arms differ in

    @classmethod
    def link(cls, arms: list[tuple[str, RunSpec]], form: RunSpec) -> LoadedArms:
        """Track the shared fields the form shows at the shared value (fields it has no box for keep theirs)."""
        shared = shared_values([s for _, s in arms])
        shown = flat(form)
        tracked = {k: v for k, v in shared.items() if shown.get(k) == v}
        return cls(arms=dict(arms), tracked=tracked, untracked=set(shown) - set(shared))

    def apply(self, form: RunSpec) -> tuple[dict[str, RunSpec], list[str], list[str]]:
        """Each loaded arm with the form's values of the tracked fields; (arms, fields edited, errors)."""
        shown = flat(form)
        edits = {k: shown[k] for k in self.tracked if k in shown and shown[k] != self.tracked[k]}
        out, errors = {}, []
        for name, spec in self.arms.items():
            values = flat(spec)
            values.update({k: v for k, v in edits.items() if k in values})
            try:
                out[name] = spec_from_dict(nested(values, spec.prune is not None), f"arm {name}")
            except SpecError as exc:
                out[name] = spec
                errors.append(str(exc))
        return out, sorted(edits), errors

    def differing(self, before: RunSpec, after: RunSpec) -> list[str]:
        """The fields just edited that the loaded arms differ in (the edit stays in the form)."""
        old, new = flat(before), flat(after)
        return sorted(k for k in self.untracked if k in old and k in new and old[k] != new[k])


def load_sweep_from(text: str) -> Sweep:
    """A built-in preset by name, or a preset/TOML file by path (SpecError naming both otherwise)."""
    if text in builtin_names():
        return load_preset(text)
    path = Path(text).expanduser()
    if path.is_file():
        return parse_preset(path.read_text(), name=path.stem)
    raise SpecError(f"load: {text!r} is neither a preset (allowed: {', '.join(builtin_names())}) nor a TOML file")


def edit_text(edited: list[str], differ: list[str], errors: list[str]) -> Text:
    """What an edit of the form did to the loaded arms."""
    note = Text()
    if edited:
        note.append(f"{', '.join(edited)}: set in every loaded arm\n", style="green")
    if differ:
        note.append(f"{', '.join(differ)}: the loaded arms differ here, so the edit stays in the form ", "yellow")
        note.append("(ctrl+a adds the form as an arm)\n", "yellow")
    for error in errors:
        note.append(f"✗ {error} (that arm keeps its value)\n", "red")
    return note


def arms_text(arms: list[tuple[str, RunSpec]], form: RunSpec | None, seeds: int | None, note: Text) -> Text:
    """Runs and epochs the launch trains (the totals its confirmation shows), the arms, and the last edit's note."""
    text = Text()
    trained = arms or ([("form", form)] if form is not None else [])
    if seeds is not None and trained:
        epochs = sum(spec.epochs for _, spec in trained) * seeds
        runs = len(trained) * seeds
        n = len(trained)
        text.append(f"launch: {n} arm{'s' * (n > 1)} x {seeds} seeds = {runs} runs, {epochs:,} epochs\n", "bold")
    if arms:
        text.append(", ".join(f"{name} ({spec.label}, {spec.epochs} ep)" for name, spec in arms))
    else:
        text.append("arms: none added, the form is the only arm (ctrl+a collects several)", style="dim")
    if note:
        shown = note.copy()
        shown.rstrip()
        text.append("\n").append_text(shown)
    return text
