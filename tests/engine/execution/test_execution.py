"""The execution layer's promises at unit scale: overrides and layouts stored, honest statuses, the write-ahead
order, checkpoint cadence, resume re-checks, and `gst check` catching every broken invariant."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.engine.cadence import CheckpointClock, CheckpointEvery
from gst.engine.checkpoint import Checkpointer, previous
from gst.engine.spec.errors import SpecError
from gst.engine.spec.events import EpochEnded, RunFinished
from gst.store import queries
from gst.store.db import writing
from gst.store.invariants import check_sweep
from gst.store.register import contiguous, resumable_jobs
from gst.store.sql import fetch
from gst.store.writer import StoreWriter
from gst.tui.entry import app
from gst.tui.report.sweep_data import stored_preset
from tests.conftest import tiny_preset

runner = CliRunner()


def run_tiny(tmp_path: Path, *extra: str) -> Path:
    spec, db = tmp_path / "t.toml", tmp_path / "gst.duckdb"
    spec.write_text(tiny_preset(epochs=3, epc=4, end=2))
    args = ["run", "spec", str(spec), "--db", str(db), "--device", "cpu", "--sweep-id", "s", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return db


@pytest.mark.slow
def test_overrides_and_execution_layout_are_stored(tmp_path: Path) -> None:
    db = run_tiny(
        tmp_path, "--set", "base.prune.end_epoch=[1]", "--seeds", "0,1", "--workers", "1", "--stack-seeds", "2"
    )
    sweep = queries.sweep(db, "s")
    assert sweep["overrides"] == '["base.prune.end_epoch=[1]"]'
    assert stored_preset(sweep).arms[0].spec.prune.end_epoch == (1,)  # summaries rebuild what ran, not the file alone
    rows = fetch(
        db, "SELECT run_id, backend, worker, attempt, stacked_with, precision, epochs_done FROM runs ORDER BY run_id"
    )
    assert [r["stacked_with"] for r in rows] == [["s-base-0", "s-base-1"]] * 2
    assert {(r["backend"], r["worker"], r["attempt"], r["precision"], r["epochs_done"]) for r in rows} == {
        ("local", "in-process", 1, "fp32", 3)
    }
    code = runner.invoke(app, ["check", "s", "--db", str(db)]).exit_code
    assert code == 0


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1.5", "0s"])
def test_bad_checkpoint_every_is_one_line_and_writes_nothing(tmp_path: Path, bad: str) -> None:
    spec, db = tmp_path / "t.toml", tmp_path / "gst.duckdb"
    spec.write_text(tiny_preset())
    result = runner.invoke(app, ["run", "spec", str(spec), "--db", str(db), "--checkpoint-every", bad])
    assert result.exit_code == 1 and not db.exists()
    assert result.stderr.count("\n") == 1 and "--checkpoint-every" in result.stderr and "90s" in result.stderr


def test_checkpoint_cadence() -> None:
    assert CheckpointEvery.parse("5") == CheckpointEvery(epochs=5, seconds=None)
    assert CheckpointEvery.parse("2m").seconds == 120 and CheckpointEvery.parse("90s").seconds == 90
    clock = CheckpointClock(CheckpointEvery(epochs=2, seconds=None))
    assert [clock.due() for _ in range(5)] == [False, True, False, True, False]
    with pytest.raises(SpecError):
        CheckpointEvery.parse("")


def test_checkpoint_is_written_after_the_journal_barrier_and_keeps_the_previous(tmp_path: Path) -> None:
    order: list[str] = []
    path = tmp_path / "r.pt"
    keeper = Checkpointer(path, CheckpointEvery(), barrier=lambda: order.append("journal synced"))
    for epoch in (1, 2):
        keeper.keep({"progress": {"epochs_done": epoch}}, write=False)
        assert not path.exists() or epoch == 2  # kept in memory until due
        keeper.write()
        order.append(f"checkpoint {epoch}")
    assert order == ["journal synced", "checkpoint 1", "journal synced", "checkpoint 2"]
    assert path.exists() and previous(path).exists()
    found, note = keeper.candidates(__import__("torch").device("cpu"), limit=1)
    assert [s["progress"]["epochs_done"] for s in found] == [1] and "ahead of the 1 epochs stored" in note
    blocked = Checkpointer(tmp_path / "b.pt", CheckpointEvery(), allowed=lambda: False)  # parent gone
    blocked.keep({"progress": {"epochs_done": 1}}, write=True)
    assert not (tmp_path / "b.pt").exists()


def epoch(run_id: str, n: int) -> EpochEnded:
    return EpochEnded(run_id=run_id, epoch=n, lr=1e-3, train_loss=1, train_acc=1, test_loss=1, test_acc=10.0 * n,
                      pre_prune_test_acc=10.0 * n, params_remaining=1, seconds=1)  # fmt: skip


@pytest.mark.slow
def test_finished_without_every_epoch_is_not_completed_and_resume_rechecks(tmp_path: Path) -> None:
    db = run_tiny(tmp_path)
    with writing(db) as conn:  # a database written by the old bug: completed, epoch 2 missing
        conn.execute("DELETE FROM epochs WHERE epoch = 2")
    (job,) = resumable_jobs(db, "s")
    assert job.recorded_epochs == 1  # resumes from a checkpoint no newer than epoch 1
    checked, violations = check_sweep(db, "s")
    assert checked == 1 and {v.check for v in violations} >= {"contiguous epochs", "completed runs complete"}
    writer = StoreWriter(db)
    writer.open()
    writer.handle(
        RunFinished(
            run_id="s-base-0", final_test_acc=1, best_test_acc=1, final_train_acc=1, params_remaining=1, seconds=1
        )
    )
    writer.close()
    run = queries.run(db, "s-base-0")
    assert run["status"] == "interrupted" and "2 of 3 epochs stored" in run["error"]
    result = runner.invoke(app, ["resume", "s", "--db", str(db), "--device", "cpu"])
    assert result.exit_code == 0, result.stderr
    assert runner.invoke(app, ["check", "s", "--db", str(db)]).exit_code == 0
    assert [e["epoch"] for e in queries.epochs(db, ["s-base-0"])] == [1, 2, 3]


@pytest.mark.slow
def test_check_names_broken_invariants(tmp_path: Path) -> None:
    db = run_tiny(tmp_path)
    with writing(db) as conn:
        conn.execute("UPDATE prune_events SET drop_pp = drop_pp + 1 WHERE epoch = 2")
        conn.execute(
            "INSERT INTO prune_events (run_id, epoch, acc_before, acc_after, drop_pp, instability_rel) "
            "VALUES ('s-base-0', 1, 50, 40, 10, 0.2)"
        )
    result = runner.invoke(app, ["check", "s", "--db", str(db), "--json"])
    assert result.exit_code == 1
    assert '"drop = before - after"' in result.stdout and "not in its schedule" in result.stdout
    assert contiguous([1, 2, 4]) == 2 and contiguous([2, 3]) == 0 and contiguous([]) == 0


def test_bad_threads_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    spec, db = tmp_path / "t.toml", tmp_path / "gst.duckdb"
    spec.write_text(tiny_preset())
    result = runner.invoke(app, ["run", "spec", str(spec), "--db", str(db), "--threads", "0"])
    assert result.exit_code == 1 and not db.exists()
    assert result.stderr.count("\n") == 1 and "--threads: 0 must be >= 1" in result.stderr


@pytest.mark.slow
def test_threads_are_recorded_and_a_resumed_run_keeps_them(tmp_path: Path) -> None:
    db = run_tiny(tmp_path, "--threads", "2")
    assert queries.run(db, "s-base-0")["threads"] == 2
    with writing(db) as conn:  # as if stopped after epoch 1
        conn.execute("DELETE FROM epochs WHERE epoch > 1")
        conn.execute("UPDATE runs SET status = 'interrupted'")
    (job,) = resumable_jobs(db, "s")
    assert job.threads == 2  # whatever --threads the resume is given
    with writing(db) as conn:
        conn.execute("UPDATE runs SET threads = NULL")  # never started (or an older gst): the resume's --threads
    (job,) = resumable_jobs(db, "s")
    assert job.threads is None


def test_a_checkpoint_made_on_other_data_is_not_continued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GST_SYNTHETIC_TEST_PER_CLASS changes the test split, which no spec records: a run checkpointed under one
    split and resumed under another re-runs from scratch (every row then from one split), and says why."""
    from gst.engine.execution.jobs import select_jobs
    from gst.engine.spec.preset import load_preset
    from gst.engine.train_job import execute

    spec = tmp_path / "t.toml"
    spec.write_text(tiny_preset(epochs=1, epc=2, end=0).replace("start_epoch = [1]", "start_epoch = [0]"))
    (job,) = select_jobs(load_preset(str(spec)), "s", None, None)
    keeper = Checkpointer(tmp_path / "r.pt", CheckpointEvery(keep_final=True))
    events: list[object] = []
    execute(job, device="cpu", emit=events.append, checkpointer=keeper)  # 200 test images (the tests' split)
    assert keeper.path.exists() and events[0].data_subset_hash.endswith("+test200")  # type: ignore[attr-defined]
    monkeypatch.setenv("GST_SYNTHETIC_TEST_PER_CLASS", "10")
    events.clear()
    execute(job, device="cpu", emit=events.append, checkpointer=Checkpointer(keeper.path, CheckpointEvery()))
    first = events[0]
    assert first.resumed_from_epoch == 0 and "made on other data" in first.note  # type: ignore[attr-defined]
    assert "re-running from scratch" in first.note  # type: ignore[attr-defined]
