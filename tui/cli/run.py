"""`gst run`, `gst plan` and `gst resume`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from gst.engine.execution.jobs import check_sweep_id, new_sweep_id, parse_list, select_jobs
from gst.engine.spec.errors import GstError
from gst.engine.spec.job import Job
from gst.engine.spec.plan import plan
from gst.engine.spec.preset import Sweep, load_preset
from gst.store.register import resumable_jobs
from gst.tui.cli.execution_flags import execution_flags
from gst.tui.cli.flags import JsonOption, SetOption, err, guard, out, stop_on_signals
from gst.tui.cli.many_runs import YesOption, confirm_runs
from gst.tui.report.tables import plan_table, summary_table, sweep_heading
from gst.tui.runner import sweep as runner
from gst.tui.runner.sweep import SweepSettings

run_app = typer.Typer(
    help="Run a preset (built-in name) or a spec file, headless, into the database.", no_args_is_help=True
)
plan_app = typer.Typer(help="Show what a preset or spec file will prune, without training.", no_args_is_help=True)
SeedsOption = Annotated[str | None, typer.Option("--seeds", help="Comma-separated seeds (default: the preset's).")]
ArmsOption = Annotated[str | None, typer.Option("--arms", help="Comma-separated arm names (default: all).")]
SweepIdOption = Annotated[
    str | None, typer.Option("--sweep-id", help="Id for the new sweep (default: random): letters, digits, '-', '_'.")
]
PrecisionOption = Annotated[
    str | None, typer.Option("--precision", help="fp32 (default, paper parity), tf32 or bf16, for every arm.")
]


def _plan(sweep: Sweep, arm: str | None, as_json: bool) -> None:
    arms = [sweep.arm(arm)] if arm else list(sweep.arms)
    if as_json:
        out.print_json(json.dumps({"arms": {a.name: plan(a.spec).to_json() for a in arms}}))
        return
    for a in arms:
        arm_plan = plan(a.spec)
        out.print(plan_table(f"{a.name} ({a.spec.label}, {a.spec.epochs} epochs)", arm_plan, out.width))
        if a.spec.test_batch_size == 0 and any(e.window for events in arm_plan.layers.values() for e in events):
            err.print(f"{a.name}: windows counted at test batch 128 (a CPU's default; 1024 on a GPU)", highlight=False)


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


def _execute(jobs: list[Job], settings: SweepSettings, *, sweep: Sweep | None, sweep_id: str) -> None:
    """Run the jobs with live progress, then print the per-arm table; exit 1 if any run failed."""
    from gst.engine.device import resolve_device
    from gst.store import queries
    from gst.tui.cli.progress import SweepProgress
    from gst.tui.report.stored_preset import arm_order

    db = settings.db
    runner.check_database(db, sweep_id if sweep is not None else None)  # one line, before any output
    backend, stacks = runner.plan_execution(jobs, settings)
    device = str(resolve_device(settings.execution.device))
    err.print(f"sweep [bold]{sweep_id}[/]: {len(jobs)} runs on {backend.describe(stacks)} -> {db}", highlight=False)
    with SweepProgress(len(jobs), {j.run_id: j.spec.epochs for j in jobs}, err) as progress:
        outcome = runner.execute_sweep(
            backend, stacks, db=db, observer=progress, sweep=sweep, sweep_id=sweep_id, device=device
        )
    row = queries.sweep(db, sweep_id)
    out.print(summary_table(queries.arm_summary(db, sweep_id, arm_order(row)), sweep_heading(row), out.width))
    if outcome.failed:
        raise GstError(f"{len(outcome.failed)} of {len(jobs)} runs failed: {outcome.failed[0].error.splitlines()[0]}")
    if outcome.interrupted:
        raise KeyboardInterrupt
    if outcome.diverged:
        first = outcome.diverged[0]
        raise GstError(
            f"{len(outcome.diverged)} of {len(jobs)} runs diverged (stored as `diverged`): "
            f"{first.run_id}: {first.error.splitlines()[0]}"
        )


@execution_flags
def run_target(
    target: Annotated[str, typer.Argument(help="Built-in preset name or TOML file.")],
    seeds: SeedsOption = None,
    arms: ArmsOption = None,
    overrides: SetOption = None,
    sweep_id: SweepIdOption = None,
    precision: PrecisionOption = None,
    yes: YesOption = False,
    *,
    settings: SweepSettings,
) -> None:
    """Run every arm x seed of a preset into the database, with live progress and a summary table."""
    stop_on_signals()  # first: a signal while the preset and data load stops it cleanly too
    from gst.engine.data import load_arrays

    with guard():
        sweep = load_preset(target, tuple(overrides or ()))
        sweep_id = check_sweep_id(sweep_id) if sweep_id else new_sweep_id()
        jobs = select_jobs(sweep, sweep_id, parse_list(arms, "arms"), parse_list(seeds, "seeds"), precision)
        confirm_runs(len(jobs), yes)
        runner.resolved_options(settings).check()  # every option checked before anything is written
        for dataset in sorted({job.spec.dataset for job in jobs}):
            load_arrays(dataset, settings.execution.data_dir)  # missing data fails here, before anything is written
        runner.check_database(settings.db, sweep_id)  # damaged, newer, read-only, or the id taken: one line
        _execute(jobs, settings, sweep=sweep, sweep_id=sweep_id)


run_app.command(
    "preset",
    help="Run every arm x seed of a built-in preset (see `gst presets`) into the database, with live progress.",
)(run_target)
run_app.command("spec", help="Run every arm x seed of your own TOML spec file into the database, with live progress.")(
    run_target
)


@execution_flags
def resume(
    sweep_id: Annotated[str, typer.Argument(help="Sweep id (or `latest`).")],
    *,
    settings: SweepSettings,
) -> None:
    """Continue a sweep: apply journals left behind, re-check every run's stored epochs against its spec and
    checkpoints, skip complete runs, and continue the others from their last consistent checkpoint."""
    stop_on_signals()
    from gst.store import queries

    with guard():
        runner.check_database(settings.db)  # damaged, newer or read-only: one line, before anything is written
        sweep_id = queries.sweep(settings.db, sweep_id)["sweep_id"]
        runner.resolved_options(settings).check()  # options checked before anything is written
        jobs = resumable_jobs(settings.db, sweep_id)
        if not jobs:
            summary = queries.arm_summary(settings.db, sweep_id)
            diverged = len(queries.runs(settings.db, sweep_id, "diverged"))
            note = f" (its {diverged} diverged run(s) would diverge again)" if diverged else ""
            out.print(summary_table(summary, title=f"sweep {sweep_id} is complete{note}"))
            return
        _execute(jobs, settings, sweep=None, sweep_id=sweep_id)
