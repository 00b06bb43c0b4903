"""Rich progress on stderr for headless sweeps: sweep bar, current run bar, latest accuracy and last drop."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gst.engine.events import EpochEnded, Event, Pruned, RunFailed, RunFinished, RunStarted


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
        self.run_task: TaskID | None = None
        self.last_drop = ""

    def __enter__(self) -> SweepProgress:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        """Update the bars from one engine event."""
        p = self.progress
        if isinstance(event, RunStarted):
            if self.run_task is not None:
                p.remove_task(self.run_task)
            self.last_drop = ""
            total = self.epochs_per_run.get(event.run_id, event.epochs_total)
            self.run_task = p.add_task(event.run_id, total=total, completed=event.resumed_from_epoch, info="")
        elif isinstance(event, Pruned):
            self.last_drop = f"  last drop {event.drop_pp:+.2f} pp @ {event.epoch}"
        elif isinstance(event, EpochEnded) and self.run_task is not None:
            p.update(
                self.run_task,
                completed=event.epoch,
                info=f"test {event.test_acc:.2f}%  train {event.train_acc:.2f}%{self.last_drop}",
            )
        elif isinstance(event, RunFinished | RunFailed):
            p.advance(self.sweep_task)
            if isinstance(event, RunFailed):
                self.console.print(
                    f"[red]run {event.run_id} {'interrupted' if event.interrupted else 'failed'}:[/] {event.error.splitlines()[0]}"
                )
