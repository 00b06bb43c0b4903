"""`gst run`, `gst plan` and `gst resume`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from gst.engine.errors import DeviceError, SpecError
from gst.engine.plan import plan
from gst.engine.preset import Sweep, load_preset
from gst.tui import runner
from gst.tui.confirm import YesOption, confirm_runs
from gst.tui.options import (
    DEFAULT_DB,
    DataDirOption,
    DbOption,
    DeviceOption,
    JsonOption,
    SetOption,
    err,
    guard,
    handle_sigint_if_asked,
    out,
)
from gst.tui.render import plan_table, summary_table, sweep_heading

run_app = typer.Typer(
    help="Run a preset (built-in name) or a spec file, headless, into the database.", no_args_is_help=True
)
plan_app = typer.Typer(help="Show what a preset or spec file will prune, without training.", no_args_is_help=True)
SeedsOption = Annotated[str | None, typer.Option("--seeds", help="Comma-separated seeds (default: the preset's).")]
ArmsOption = Annotated[str | None, typer.Option("--arms", help="Comma-separated arm names (default: all).")]
KeepOption = Annotated[
    bool, typer.Option("--keep-checkpoints", help="Keep each run's last checkpoint after it completes.")
]
SweepIdOption = Annotated[
    str | None, typer.Option("--sweep-id", help="Id for the new sweep (default: random): letters, digits, '-', '_'.")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Runs trained at once in worker processes (CPU default: one per core).")
]
GpusOption = Annotated[
    str | None, typer.Option("--gpus", help="Comma-separated GPU indices: one worker per GPU, e.g. 0,1.")
]
BatchSeedsOption = Annotated[
    int | None,
    typer.Option(
        "--batch-seeds",
        help="Seeds of one arm trained as one stacked network (default: 1 on CPU; on a GPU, up to 16, "
        "until the stacked batch reaches ~1024 images).",
    ),
]
PrecisionOption = Annotated[
    str | None, typer.Option("--precision", help="fp32 (default, paper parity), tf32 or bf16, for every arm.")
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """Where and how a sweep's runs execute."""

    db: Path
    device: str
    data_dir: Path | None
    keep: bool
    workers: int | None
    gpus: str | None
    batch_seeds: int | None = None
    yes: bool = False


def _plan(sweep: Sweep, arm: str | None, as_json: bool) -> None:
    arms = [sweep.arm(arm)] if arm else list(sweep.arms)
    if as_json:
        out.print_json(json.dumps({"arms": {a.name: plan(a.spec).to_json() for a in arms}}))
        return
    for a in arms:
        out.print(plan_table(f"{a.name} ({a.spec.label}, {a.spec.epochs} epochs)", plan(a.spec)))


def plan_target(
    target: Annotated[str, typer.Argument(help="Built-in preset name or TOML file.")],
    arm: Annotated[str | None, typer.Option("--arm")] = None,
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """The pruning plan of each arm: events per layer (epoch, k, alive), parameters removed."""
    with guard():
        _plan(load_preset(target, tuple(overrides or ())), arm, as_json)


plan_app.command("preset", help="The pruning plan of a built-in preset (see `gst presets`), without training.")(
    plan_target
)
plan_app.command("spec", help="The pruning plan of your own TOML spec file, without training.")(plan_target)


def _gpus(text: str | None) -> tuple[int, ...]:
    from gst.engine.device import resolve_device

    if not text:
        return ()
    items = [g.strip() for g in text.split(",") if g.strip()]
    if not items or not all(g.isdigit() for g in items):
        raise SpecError(f"--gpus: {text!r} must be GPU indices, for example 0,1")
    for g in items:
        resolve_device(f"cuda:{g}")
    return tuple(int(g) for g in items)


def _run(
    sweep: Sweep, ex: Execution, *, seeds: str | None, arms: str | None, sweep_id: str | None, precision: str | None
) -> None:
    from gst.engine.data import load_arrays
    from gst.engine.device import resolve_device

    sweep_id = runner.check_sweep_id(sweep_id) if sweep_id else runner.new_sweep_id()
    jobs = runner.select_jobs(
        sweep, sweep_id, runner.parse_list(arms, "arms"), runner.parse_list(seeds, "seeds"), precision
    )
    confirm_runs(len(jobs), ex.yes)
    device = str(resolve_device(ex.device))
    for dataset in sorted({job.spec.dataset for job in jobs}):
        load_arrays(dataset, ex.data_dir)  # missing data fails here, before anything is written
    _execute(jobs, ex, sweep=sweep, sweep_id=sweep_id, device=device)


def _execute(jobs: list[runner.Job], ex: Execution, *, sweep: Sweep | None, sweep_id: str, device: str) -> None:
    from gst.store import queries
    from gst.store.writer import StoreWriter
    from gst.tui.batches import batch_jobs
    from gst.tui.progress import SweepProgress
    from gst.tui.workers import plan_workers

    handle_sigint_if_asked()
    if ex.workers is not None and ex.workers < 1:
        raise SpecError(f"--workers: {ex.workers} must be >= 1")
    gpus = _gpus(ex.gpus)
    batches = batch_jobs(jobs, ex.batch_seeds, f"cuda:{gpus[0]}" if gpus else device)
    workers = plan_workers(device, ex.workers, gpus, len(batches))
    if device.startswith("cuda") and workers.size > 1 and not ex.gpus:
        raise DeviceError(
            "--workers: several workers on one GPU are not supported; use --gpus 0,1,... for one worker per GPU"
        )
    writer = StoreWriter(ex.db)
    writer.open()
    if sweep is not None:
        runner.register(writer, sweep, sweep_id, jobs, device)
    where = ", ".join(sorted(set(workers.devices)))
    stacked = max(len(b) for b in batches)
    how = f"{workers.size} worker{'s' * (workers.size > 1)}" + (
        f", up to {stacked} seeds stacked" if stacked > 1 else ""
    )
    err.print(f"sweep [bold]{sweep_id}[/]: {len(jobs)} runs on {where} ({how}) -> {ex.db}", highlight=False)
    with SweepProgress(len(jobs), {j.run_id: j.spec.epochs for j in jobs}, err) as progress:
        outcome = runner.execute_jobs(
            batches,
            writer,
            device=device,
            data_dir=ex.data_dir,
            observer=progress,
            sweep_id=sweep_id,
            keep_checkpoints=ex.keep,
            workers=workers,
        )
    from gst.tui.live import arm_order

    row = queries.sweep(ex.db, sweep_id)
    out.print(summary_table(queries.arm_summary(ex.db, sweep_id, arm_order(row)), sweep_heading(row), out.width))
    if outcome.failed:
        raise runner.GstError(
            f"{len(outcome.failed)} of {len(jobs)} runs failed: {outcome.failed[0].error.splitlines()[0]}"
        )


def run_target(
    target: Annotated[str, typer.Argument(help="Built-in preset name or TOML file.")],
    db: DbOption = DEFAULT_DB,
    device: DeviceOption = "auto",
    data_dir: DataDirOption = None,
    seeds: SeedsOption = None,
    arms: ArmsOption = None,
    overrides: SetOption = None,
    keep_checkpoints: KeepOption = False,
    sweep_id: SweepIdOption = None,
    workers: WorkersOption = None,
    gpus: GpusOption = None,
    batch_seeds: BatchSeedsOption = None,
    precision: PrecisionOption = None,
    yes: YesOption = False,
) -> None:
    """Run every arm x seed of a preset into the database, with live progress and a summary table."""
    with guard():
        ex = Execution(
            db=db, device=device, data_dir=data_dir, keep=keep_checkpoints, workers=workers, gpus=gpus,
            batch_seeds=batch_seeds, yes=yes,
        )  # fmt: skip
        _run(
            load_preset(target, tuple(overrides or ())),
            ex,
            seeds=seeds,
            arms=arms,
            sweep_id=sweep_id,
            precision=precision,
        )


run_app.command(
    "preset",
    help="Run every arm x seed of a built-in preset (see `gst presets`) into the database, with live progress.",
)(run_target)
run_app.command("spec", help="Run every arm x seed of your own TOML spec file into the database, with live progress.")(
    run_target
)


def resume(
    sweep_id: str,
    db: DbOption = DEFAULT_DB,
    device: DeviceOption = "auto",
    data_dir: DataDirOption = None,
    keep_checkpoints: KeepOption = False,
    workers: WorkersOption = None,
    gpus: GpusOption = None,
    batch_seeds: BatchSeedsOption = None,
) -> None:
    """Continue a sweep: skip completed runs, continue the others from their last checkpoint."""
    from gst.engine.device import resolve_device
    from gst.store import queries

    with guard():
        sweep_id = queries.sweep(db, sweep_id)["sweep_id"]
        jobs = runner.resumable_jobs(db, sweep_id)
        if not jobs:
            out.print(summary_table(queries.arm_summary(db, sweep_id), title=f"sweep {sweep_id} is complete"))
            return
        ex = Execution(
            db=db, device=device, data_dir=data_dir, keep=keep_checkpoints, workers=workers, gpus=gpus,
            batch_seeds=batch_seeds,
        )  # fmt: skip
        _execute(jobs, ex, sweep=None, sweep_id=sweep_id, device=str(resolve_device(device)))
