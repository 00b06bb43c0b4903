"""`gst run`, `gst plan` and `gst resume`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gst.engine.plan import plan
from gst.engine.preset import Sweep, load_preset
from gst.tui import runner
from gst.tui.options import DEFAULT_DB, DataDirOption, DbOption, DeviceOption, JsonOption, SetOption, err, guard, out
from gst.tui.render import plan_table, summary_table

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


def _plan(sweep: Sweep, arm: str | None, as_json: bool) -> None:
    arms = [sweep.arm(arm)] if arm else list(sweep.arms)
    if as_json:
        out.print_json(json.dumps({"arms": {a.name: plan(a.spec).to_json() for a in arms}}))
        return
    for a in arms:
        out.print(plan_table(f"{a.name} ({a.spec.label}, {a.spec.epochs} epochs)", plan(a.spec)))


@plan_app.command("preset")
def plan_preset(
    name: str,
    arm: Annotated[str | None, typer.Option("--arm")] = None,
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Plan of a built-in preset."""
    with guard():
        _plan(load_preset(name, tuple(overrides or ())), arm, as_json)


@plan_app.command("spec")
def plan_spec(
    file: Path,
    arm: Annotated[str | None, typer.Option("--arm")] = None,
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Plan of a preset file."""
    with guard():
        _plan(load_preset(str(file), tuple(overrides or ())), arm, as_json)


def _run(
    sweep: Sweep,
    *,
    db: Path,
    device: str,
    data_dir: Path | None,
    seeds: str | None,
    arms: str | None,
    keep: bool,
    sweep_id: str | None = None,
) -> None:
    from gst.engine.data import load_arrays
    from gst.engine.device import resolve_device

    sweep_id = runner.check_sweep_id(sweep_id) if sweep_id else runner.new_sweep_id()
    jobs = runner.select_jobs(sweep, sweep_id, runner.parse_list(arms, "arms"), runner.parse_list(seeds, "seeds"))
    dev = str(resolve_device(device))
    for dataset in sorted({job.spec.dataset for job in jobs}):
        load_arrays(dataset, data_dir)  # missing data fails here, before anything is written
    _execute(jobs, sweep=sweep, sweep_id=sweep_id, db=db, device=dev, data_dir=data_dir, keep=keep)


def _execute(
    jobs: list[runner.Job],
    *,
    sweep: Sweep | None,
    sweep_id: str,
    db: Path,
    device: str,
    data_dir: Path | None,
    keep: bool,
) -> None:
    from gst.store import queries
    from gst.store.writer import StoreWriter
    from gst.tui.progress import SweepProgress

    writer = StoreWriter(db)
    writer.open()
    if sweep is not None:
        runner.register(writer, sweep, sweep_id, jobs, device)
    err.print(f"sweep [bold]{sweep_id}[/]: {len(jobs)} runs on {device} -> {db}", highlight=False)
    with SweepProgress(len(jobs), {j.run_id: j.spec.epochs for j in jobs}, err) as progress:
        outcome = runner.execute_jobs(
            jobs, writer, device=device, data_dir=data_dir, observer=progress, sweep_id=sweep_id, keep_checkpoints=keep
        )
    out.print(
        summary_table(
            queries.arm_summary(db, sweep_id), title=f"sweep {sweep_id} ({sweep.name if sweep else 'resumed'})"
        )
    )
    if outcome.failed:
        raise runner.GstError(
            f"{len(outcome.failed)} of {len(jobs)} runs failed: {outcome.failed[0].error.splitlines()[0]}"
        )


@run_app.command("preset")
def run_preset(
    name: str,
    db: DbOption = DEFAULT_DB,
    device: DeviceOption = "auto",
    data_dir: DataDirOption = None,
    seeds: SeedsOption = None,
    arms: ArmsOption = None,
    overrides: SetOption = None,
    keep_checkpoints: KeepOption = False,
    sweep_id: SweepIdOption = None,
) -> None:
    """Run a built-in preset."""
    with guard():
        _run(
            load_preset(name, tuple(overrides or ())),
            db=db,
            device=device,
            data_dir=data_dir,
            seeds=seeds,
            arms=arms,
            keep=keep_checkpoints,
            sweep_id=sweep_id,
        )


@run_app.command("spec")
def run_spec(
    file: Path,
    db: DbOption = DEFAULT_DB,
    device: DeviceOption = "auto",
    data_dir: DataDirOption = None,
    seeds: SeedsOption = None,
    arms: ArmsOption = None,
    overrides: SetOption = None,
    keep_checkpoints: KeepOption = False,
    sweep_id: SweepIdOption = None,
) -> None:
    """Run a preset file."""
    with guard():
        _run(
            load_preset(str(file), tuple(overrides or ())),
            db=db,
            device=device,
            data_dir=data_dir,
            seeds=seeds,
            arms=arms,
            keep=keep_checkpoints,
            sweep_id=sweep_id,
        )


def resume(
    sweep_id: str,
    db: DbOption = DEFAULT_DB,
    device: DeviceOption = "auto",
    data_dir: DataDirOption = None,
    keep_checkpoints: KeepOption = False,
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
        _execute(
            jobs,
            sweep=None,
            sweep_id=sweep_id,
            db=db,
            device=str(resolve_device(device)),
            data_dir=data_dir,
            keep=keep_checkpoints,
        )
