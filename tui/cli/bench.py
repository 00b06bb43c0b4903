"""`gst bench`: measured speed of gst against a plain PyTorch loop and the compute bound, on this device."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Annotated

import typer
from rich.table import Table

from gst.engine.spec.errors import GstError
from gst.tui.cli.flags import DeviceOption, JsonOption, err, guard, out

MODELS = ("conv4", "vgg11", "resnet18", "resnet20", "resnet56")
CPU_STEPS = {"conv4": 30, "vgg11": 8, "resnet18": 4, "resnet20": 8, "resnet56": 4}


@contextlib.contextmanager
def announcing(title: str) -> Iterator[Callable[[str], None]]:
    """A status line on stderr naming each measurement as it starts, with the time so far (on a terminal a
    spinner, elsewhere one line each), so a long bench on a busy machine never looks stuck."""
    began = time.monotonic()
    err.print(f"{title}…", highlight=False)
    with err.status(title) as status:

        def note(what: str) -> None:
            text = f"{what} ({time.monotonic() - began:.0f} s so far)"
            if err.is_terminal:
                status.update(f"{title}: {text}")
            else:
                err.print(f"  {text}", highlight=False)

        yield note


def bench(
    model: Annotated[str, typer.Option("--model", help="conv4, vgg11, resnet18, resnet20 or resnet56.")] = "conv4",
    device: DeviceOption = "auto",
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            help="Timed training steps per loop (default on CPU: 30 conv4, 8 vgg11/resnet20, 4 resnet18/56; 200 on GPU).",
        ),
    ] = None,
    as_json: JsonOption = False,
    flatness: Annotated[
        bool, typer.Option("--flatness", help="Measure the flatness recipe instead (HVPs, test passes, solvers).")
    ] = False,
    images: Annotated[int, typer.Option("--images", help="--flatness: images per Hessian product.")] = 512,
    solver_images: Annotated[
        int | None, typer.Option("--solver-images", help="--flatness: images for the solver comparison.")
    ] = None,
    solver_model: Annotated[
        str | None, typer.Option("--solver-model", help="--flatness: model for the solver comparison.")
    ] = None,
    pass_images: Annotated[
        int, typer.Option("--pass-images", help="--flatness: test images timed (scaled to 10,000).")
    ] = 1_000,
) -> None:
    """Measure images/s of a plain loop (a), gst's loop (b) and the compute bound (c), eval, and seeds together."""
    from gst.engine.bench.speed import run_bench
    from gst.engine.device import resolve_device

    with guard():
        if model not in MODELS:
            raise GstError(f"--model: {model!r} is not allowed (allowed: {', '.join(MODELS)})")
        if flatness:
            from gst.tui.cli.flatness_bench_view import check_counts, run_flatness_bench

            check_counts(images, solver_images, pass_images)
            if solver_model is not None and solver_model not in MODELS:
                raise GstError(f"--solver-model: {solver_model!r} is not allowed (allowed: {', '.join(MODELS)})")
            dev = resolve_device(device)
            run_flatness_bench(model, dev, images, solver_images, pass_images, as_json, solver_model)
            return
        if steps is not None and steps < 1:
            raise GstError(f"--steps: {steps} must be >= 1")
        dev = resolve_device(device)
        steps = steps or (200 if dev.type == "cuda" else CPU_STEPS[model])
        if dev.type == "cuda":
            seed_images = {128: 12800, 3: 1280}
        else:  # images per seeds-together run: a few seconds per run on a 2-core CPU
            seed_images = {128: 1280, 3: 300} if model == "conv4" else {128: 512, 3: 120}
        with announcing(f"measuring {model} on {dev} ({steps} steps per loop)") as note:
            report = run_bench(model, dev, steps=steps, seed_images=seed_images, note=note)
        if as_json:
            out.print(json.dumps(report.to_json(), indent=2), markup=False, highlight=False)
            return
        table = Table(title=f"gst bench: {model} on {report.device}, batch {report.batch}", title_justify="left")
        for col in ("measurement", "value"):
            table.add_column(col, justify="left" if col == "measurement" else "right")
        rows = [
            ("(a) plain loop: PIL transforms, DataLoader(4 workers)", f"{report.plain_ips:,.0f} img/s"),
            ("(b) gst loop, pruning active", f"{report.gst_ips:,.0f} img/s"),
            ("(c) compute bound: fixed device-resident batch", f"{report.compute_ips:,.0f} img/s"),
            ("b / a", f"{report.gst_over_plain:.2f}x"),
            ("b / c", f"{report.gst_over_compute:.2f}x"),
            ("evaluation", f"{report.eval_ips:,.0f} img/s"),
        ]
        names = {"stacked": "stacked", "workers": f"{report.workers} workers"}
        for batch, rates in report.runs_per_hour.items():
            alone = rates["one_at_a_time"]
            for mode, rate in rates.items():
                if mode == "one_at_a_time":
                    continue
                default = " (default)" if mode == report.default_mode else ""
                rows.append(
                    (
                        f"runs/hour, {report.seeds} seeds at batch {batch}: one at a time -> {names[mode]}{default}",
                        f"{alone:,.0f} -> {rate:,.0f} ({rate / alone:.2f}x)",
                    )
                )
        every_epoch = (report.snapshot_s + report.checkpoint_write_s) / report.epoch_s
        by_time = (report.snapshot_s + report.checkpoint_write_s * min(1.0, report.epoch_s / 60)) / report.epoch_s
        rows += [
            (f"checkpoint: {report.checkpoint_mb:,.0f} MB, snapshot / write", f"{report.snapshot_s:.3f} s / {report.checkpoint_write_s:.3f} s"),
            (f"checkpoint cost per CIFAR-10 epoch ({report.epoch_s:,.0f} s): every epoch -> every 60 s (default)",
             f"{every_epoch:.2%} -> {by_time:.2%}"),
        ]  # fmt: skip
        rows.append(("peak memory", f"{report.peak_memory_mb:,.0f} MiB"))
        for row in rows:
            table.add_row(*row)
        out.print(table)
