"""`gst summary` and `gst figure`: the paper's statistics and figures for a stored sweep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gst.tui.cli.flags import DEFAULT_DB, READ_INTERRUPTED, DbOption, JsonOption, guard, out


def summary(
    sweep_id: Annotated[str, typer.Argument(help="Sweep id, a unique prefix of one, or latest.")] = "latest",
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Per-arm instability and accuracy with bootstrap CIs, the correlation (r, p, n) and the paper's claim."""
    from gst.tui.report.flatness_view import flatness_json, print_flatness_summary
    from gst.tui.report.summary_view import summary_json, summary_renderable
    from gst.tui.report.sweep_data import load_sweep

    with guard(READ_INTERRUPTED):
        stored = load_sweep(db, sweep_id)
        analysis = stored.analyze()
        if as_json:
            document = summary_json(stored, analysis)
            flatness = flatness_json(stored, db)
            if flatness is not None:
                document["flatness"] = flatness
            out.print(json.dumps(document, default=str, indent=2), markup=False, highlight=False)
        else:
            out.print(summary_renderable(stored, analysis, width=out.width))
            print_flatness_summary(out, db, stored)


def figure(
    sweep_id: Annotated[str, typer.Argument(help="Sweep id, a unique prefix of one, or latest.")] = "latest",
    db: DbOption = DEFAULT_DB,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and PDF files.")] = Path("figures"),
) -> None:
    """Draw the preset's figure in the paper's style (PNG and PDF)."""
    from gst.tui.report.figures import draw
    from gst.tui.report.sweep_data import load_sweep

    with guard(READ_INTERRUPTED):
        for path in draw(load_sweep(db, sweep_id), db, out_dir):
            out.print(str(path), markup=False, highlight=False)
