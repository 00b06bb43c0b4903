"""A sweep stopped at any moment leaves every run with a true status (unit scale: a backend that stops on cue).

The process-level versions (real signals at exact moments) are in tests/engine/execution/test_nothing_lost.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gst.engine.execution import stop
from gst.engine.execution.backend import Outcome, Sink
from gst.engine.execution.jobs import select_jobs
from gst.engine.spec.errors import GstError
from gst.engine.spec.events import EpochEnded, Event, RunFinished, RunStarted
from gst.engine.spec.job import Job
from gst.engine.spec.journal import JournalFile, event_op
from gst.engine.spec.preset import Sweep, load_preset
from gst.store import queries
from gst.store.db import files_dir
from gst.tui.runner import sweep as runner
from tests.conftest import tiny_preset


@pytest.fixture(autouse=True)
def _no_signal_noted() -> Iterator[None]:
    stop.reset()
    yield
    stop.reset()


def started(run_id: str) -> RunStarted:
    return RunStarted(run_id=run_id, seed=0, device="cpu", params_total=10, epochs_total=2, data_subset_hash="h")


def epoch(run_id: str, n: int) -> EpochEnded:
    return EpochEnded(
        run_id=run_id, epoch=n, lr=1e-3, train_loss=1.0, train_acc=50.0, test_loss=1.0, test_acc=40.0 + n,
        pre_prune_test_acc=40.0 + n, params_remaining=10, seconds=0.1,
    )  # fmt: skip


def finished(run_id: str) -> RunFinished:
    return RunFinished(
        run_id=run_id, final_test_acc=42.0, best_test_acc=42.0, final_train_acc=50.0, params_remaining=10, seconds=1
    )


class StoppingBackend:
    """Journals `events` as a producer of this process does, hands the sink only the first `delivered` of them,
    then stops with `stop_with` (the moment an interrupt lands between a journal line and the sink)."""

    name = "local"

    def __init__(self, db: Path, events: list[Event], delivered: int, stop_with: BaseException) -> None:
        self.journal = JournalFile(files_dir(db) / "journal")
        self.events, self.delivered, self.stop_with = events, delivered, stop_with

    def describe(self, stacks: list[list[Job]]) -> str:
        return "stopping"

    def run(self, stacks: list[list[Job]], sink: Sink) -> Outcome:
        for i, event in enumerate(self.events):
            self.journal.append(event_op(event))
            if i < self.delivered:
                sink(event)
        self.journal.close()
        raise self.stop_with


def sweep_of(tmp_path: Path) -> tuple[Sweep, list[Job]]:
    spec = tmp_path / "t.toml"
    spec.write_text(tiny_preset(epochs=2, epc=4, end=1))
    sweep = load_preset(str(spec))
    return sweep, select_jobs(sweep, "s", None, ["0", "1"])


def execute(db: Path, tmp_path: Path, backend: StoppingBackend, new: bool = True) -> list[Event]:
    sweep, jobs = sweep_of(tmp_path)
    seen: list[Event] = []
    with pytest.raises(type(backend.stop_with)):
        runner.execute_sweep(
            backend, [[job] for job in jobs], db=db, observer=seen.append, sweep=sweep if new else None,
            sweep_id="s", device="cpu",
        )  # fmt: skip
    return seen


def statuses(db: Path) -> dict[str, tuple[str, str | None, int | None]]:
    return {r["run_id"]: (r["status"], r["error"], r["epochs_done"]) for r in queries.runs(db)}


def test_a_queued_run_and_a_measurement_in_flight_are_settled(db: Path, tmp_path: Path) -> None:
    events = [started("s-base-0"), epoch("s-base-0", 1), epoch("s-base-0", 2)]
    stop.note(15)  # as gst run's SIGTERM handler records it
    execute(db, tmp_path, StoppingBackend(db, events, delivered=2, stop_with=KeyboardInterrupt()))
    assert statuses(db) == {
        "s-base-0": ("interrupted", "interrupted by SIGTERM", 2),  # epoch 2 came from the journal
        "s-base-1": ("interrupted", "interrupted by SIGTERM", 0),  # never started: not left `queued`
    }
    assert [r["test_acc"] for r in queries.epochs(db, ["s-base-0"])] == [41.0, 42.0]
    assert not list((files_dir(db) / "journal").glob("*.jsonl")), "everything is in the database"


def test_a_final_event_in_flight_completes_its_run(db: Path, tmp_path: Path) -> None:
    events = [started("s-base-0"), epoch("s-base-0", 1), epoch("s-base-0", 2), finished("s-base-0")]
    execute(db, tmp_path, StoppingBackend(db, events, delivered=3, stop_with=KeyboardInterrupt()))
    assert statuses(db) == {
        "s-base-0": ("completed", None, 2),
        "s-base-1": ("interrupted", "interrupted by Ctrl-C (SIGINT)", 0),
    }


def test_an_interrupted_registration_is_completed(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real, calls = runner.register, []

    def cut(*args: object, **kwargs: object) -> None:
        calls.append(kwargs)
        if len(calls) == 1:
            raise KeyboardInterrupt  # before anything was journaled or written
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "register", cut)
    execute(db, tmp_path, StoppingBackend(db, [], delivered=0, stop_with=KeyboardInterrupt()))
    assert queries.sweep(db, "s")["sweep_id"] == "s"
    assert {status for status, _, _ in statuses(db).values()} == {"interrupted"} and len(calls) == 2


def test_a_sweep_that_fails_marks_its_unfinished_runs_failed(db: Path, tmp_path: Path) -> None:
    events = [started("s-base-0"), epoch("s-base-0", 1), epoch("s-base-0", 2), finished("s-base-0")]
    execute(db, tmp_path, StoppingBackend(db, events, delivered=4, stop_with=GstError("worker processes keep dying")))
    assert statuses(db) == {
        "s-base-0": ("completed", None, 2),
        "s-base-1": ("failed", "the sweep stopped: worker processes keep dying", 0),
    }


def test_replayed_events_are_only_those_the_writer_missed(db: Path, tmp_path: Path) -> None:
    events = [started("s-base-0"), epoch("s-base-0", 1), epoch("s-base-0", 2)]
    seen = execute(db, tmp_path, StoppingBackend(db, events, delivered=2, stop_with=KeyboardInterrupt()))
    replayed = seen[2:]  # the observer saw the two delivered events, then what the settling added
    assert [type(e).__name__ for e in replayed] == ["EpochEnded", "RunFailed", "RunFailed"]
    assert os.getpid() > 0 and replayed[0] == events[2]
