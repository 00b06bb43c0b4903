"""`gst bench --flatness`: the table of measured flatness costs and the priced parity and gst recipes."""

from __future__ import annotations

import json

import torch
from rich.table import Table

from gst.engine.bench.flatness_cost import FlatnessBench, flatness_bench, scan_passes
from gst.engine.spec.errors import GstError
from gst.tui.cli.flags import out


def flatness_table(r: FlatnessBench) -> Table:
    """Units, solver accuracy and recipe prices, one measurement per line."""
    table = Table(
        title=f"gst bench --flatness: {r.model} (P = {r.params:,}) on {r.device}, {r.images} images",
        title_justify="left",
    )
    table.add_column("measurement")
    table.add_column("value", justify="right")
    gst_pass = "BN folded, channels-last" if r.folded else "functional"
    rows = [
        ("one Hessian-vector product", f"{r.hvp_seconds:.3f} s"),
        (f"per product, {r.block} vectors vmapped", f"{r.hvp_block_seconds:.3f} s"),
        ("one full test pass (10,000 images), plain module", f"{r.test_pass_seconds:.2f} s"),
        (f"the same, gst's single model ({gst_pass})", f"{r.single_pass_seconds:.2f} s"),
        (f"per model, {r.stack} models stacked", f"{r.stacked_pass_seconds:.2f} s"),
    ]
    for s in (r.parity, r.lanczos, r.lanczos_full):
        accuracy = f"residual max {s.max_residual:.2g}, median {s.median_residual:.2g}"
        if s.max_estimate is not None:
            accuracy += f" over the top {s.checked}; estimated max {s.max_estimate:.2g} over the rest"
        rows.append((f"top-{s.k} by {s.method}: products, seconds", f"{s.products}, {s.seconds:.1f} s ({accuracy})"))
    rows += [
        (
            f"parity recipe, k=100: {r.parity_hvps_full} products + 810 plain passes",
            f"{r.parity_recipe_seconds / 60:,.1f} min",
        ),
    ]
    speedups = r.speedups()
    for scenario, seconds in r.scan_seconds.items():
        passes = scan_passes(None if scenario == "none" else float(scenario))
        when = "ε* never reached" if scenario == "none" else f"ε* = {scenario}"
        rows.append(
            (
                f"gst default, {when}: {r.gst_hvps_full} products + {passes} passes",
                f"{seconds / 60:,.1f} min ({speedups[scenario]:.1f}x faster)",
            )
        )
    for row in rows:
        table.add_row(*row)
    return table


def check_counts(images: int, solver_images: int | None, pass_images: int) -> None:
    """Each count in 1..its data set's size, else a one-line error naming the option."""
    for option, value, limit in (
        ("--images", images, 10_000),
        ("--solver-images", solver_images, 10_000),
        ("--pass-images", pass_images, 1_000),
    ):
        if value is not None and not 1 <= value <= limit:
            raise GstError(f"{option}: {value} is outside 1..{limit}")


def run_flatness_bench(
    model: str,
    device: torch.device,
    images: int,
    solver_images: int | None,
    pass_images: int,
    as_json: bool,
    solver_model: str | None = None,
) -> None:
    """Measure and print."""
    from gst.tui.cli.bench import announcing

    with announcing(f"measuring flatness costs of {model} on {device} ({images} images)") as note:
        report = flatness_bench(
            model, device, images=images, solver_images=solver_images, pass_images=pass_images,
            solver_model=solver_model, note=note,
        )  # fmt: skip
    if as_json:
        out.print(json.dumps(report.to_json(), indent=2), markup=False, highlight=False)
    else:
        out.print(flatness_table(report))
        out.print(report.note, highlight=False)
