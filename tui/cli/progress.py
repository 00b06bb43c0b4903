"""Rich progress on stderr for headless sweeps: sweep bar, current run bar, latest accuracy and last drop."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gst.engine.spec.events import EpochEnded, Event, Pruned, RunFailed, RunFinished, RunStarted


class SweepProgress:
    """An event observer that draws live progress; use as a context manager."""

    def __init__(self, total_runs: int, epochs_per_run: dict[str, int], console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.epochs_per_run = epochs_per_run
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=self.console,
            transient=False,
        )
        self.sweep_task: TaskID = self.progress.add_task("sweep", total=total_runs, info="")
        self.run_tasks: dict[str, TaskID] = {}
        self.last_drop: dict[str, str] = {}

    def __enter__(self) -> SweepProgress:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        """Update the bars from one engine event (several runs may be in progress at once)."""
        p = self.progress
        if isinstance(event, RunStarted):
            total = self.epochs_per_run.get(event.run_id, event.epochs_total)
            self.run_tasks[event.run_id] = p.add_task(
                event.run_id, total=total, completed=event.resumed_from_epoch, info=""
            )
            if event.note:
                self.console.print(f"[yellow]run {event.run_id}:[/] {escape(event.note)}", highlight=False)
        elif isinstance(event, Pruned):
            self.last_drop[event.run_id] = f"  last drop {event.drop_pp:+.2f} pp @ {event.epoch}"
        elif isinstance(event, EpochEnded) and event.run_id in self.run_tasks:
            info = f"test {event.test_acc:.2f}%  train {event.train_acc:.2f}%{self.last_drop.get(event.run_id, '')}"
            p.update(self.run_tasks[event.run_id], completed=event.epoch, info=info)
        elif isinstance(event, RunFinished | RunFailed):
            p.advance(self.sweep_task)
            if event.run_id in self.run_tasks:
                p.remove_task(self.run_tasks.pop(event.run_id))
            if isinstance(event, RunFailed):
                how = "diverged" if event.final else "interrupted" if event.interrupted else "failed"
                self.console.print(f"[red]run {event.run_id} {how}:[/] {escape(event.error.splitlines()[0])}")
