"""The `gst` command line: presets, models, plans, runs, resume, and the database commands."""

from __future__ import annotations

import json
import warnings
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from gst.engine.spec.architectures import ARCHITECTURES
from gst.engine.spec.preset import builtin_names, load_preset, preset_text
from gst.tui.cli import analysis as cli_analysis
from gst.tui.cli import bench as cli_bench
from gst.tui.cli import check as cli_check
from gst.tui.cli import run as cli_run
from gst.tui.cli import store_commands as cli_db
from gst.tui.cli.flags import JsonOption, guard, out
from gst.tui.report.tables import Col, rows_table

# A library's deprecation notice (e.g. torch's own use of torch.jit.script) is not the user's to read.
warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch(\.|$)")

COMMAND_ORDER = (
    "run", "resume", "runs", "show", "summary", "figure", "query", "export", "sync",
    "plan", "presets", "models", "bench", "tui",
)  # fmt: skip


class OrderedGroup(TyperGroup):
    """Lists commands in the order a user meets them (run, then look, then the rest), not alphabetically."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda n: rank.get(n, len(rank)))


app = typer.Typer(
    name="gst",
    cls=OrderedGroup,
    help="Pruning experiments on the generalization-stability tradeoff: run presets, watch them, query them with SQL.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
presets_app = typer.Typer(help="List built-in presets, or show one.", invoke_without_command=True)
app.add_typer(presets_app, name="presets")
app.add_typer(cli_run.run_app, name="run")
app.add_typer(cli_run.plan_app, name="plan")
app.command("resume")(cli_run.resume)
app.command("bench")(cli_bench.bench)
for command in (
    cli_db.runs,
    cli_db.show,
    cli_db.query,
    cli_db.export,
    cli_db.sync,
    cli_analysis.summary,
    cli_analysis.figure,
    cli_check.check,
):
    app.command()(command)


@presets_app.callback()
def presets(ctx: typer.Context) -> None:
    """List the built-in presets with their arms and run counts."""
    if ctx.invoked_subcommand is not None:
        return
    with guard():
        rows = []
        for name in builtin_names():
            sweep = load_preset(name)
            names = [a.name for a in sweep.arms]
            arms = ", ".join(names) if len(names) <= 4 else ", ".join(names[:3]) + f", … ({len(names)} arms)"
            rows.append(
                {
                    "preset": name,
                    "title": sweep.title,
                    "arms": arms,
                    "seeds": len(sweep.seeds),
                    "runs": len(sweep.arms) * len(sweep.seeds),
                }
            )
        out.print(rows_table(rows, ["preset", "title", "arms", "seeds", "runs"]))


@presets_app.command("show")
def presets_show(name: Annotated[str, typer.Argument(help="Preset name or TOML file.")]) -> None:
    """Print a preset's TOML and its expanded arms."""
    with guard():
        sweep = load_preset(name)
        out.print(preset_text(name)[1], markup=False, highlight=False)
        rows = [
            {"arm": a.name, "label": a.spec.label, "model": a.spec.model, "epochs": a.spec.epochs} for a in sweep.arms
        ]
        out.print(
            rows_table(
                rows,
                ["arm", "label", "model", "epochs"],
                title=f"{sweep.name}: {len(sweep.seeds)} seeds x {len(sweep.arms)} arms",
            )
        )


@app.command()
def models(as_json: JsonOption = False) -> None:
    """Each model with its parameter count and prunable layers."""
    data = [
        {
            "name": a.name,
            "params": a.params,
            "layers": [{"name": x.name, "units": x.units, "params": x.own_params} for x in a.layers],
        }
        for a in ARCHITECTURES.values()
    ]
    if as_json:
        out.print_json(json.dumps(data))
        return
    for arch in ARCHITECTURES.values():
        rows = [  # every count with thousands separators, as the title's
            {"layer": x.name, "kind": x.kind, "units": f"{x.units:,}", "params": f"{x.own_params:,}",
             "scores": "/".join(x.scores)}
            for x in arch.layers
        ]  # fmt: skip
        out.print(
            rows_table(
                rows,
                ["layer", "kind", Col("units", justify="right"), Col("params", justify="right"), "scores"],
                title=f"{arch.name}: {arch.params:,} parameters. {arch.summary}",
            )
        )


if __name__ == "__main__":
    app()
