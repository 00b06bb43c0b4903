"""Schema, idempotent writes, and the journal that keeps events while another process holds the file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from gst.engine.spec.errors import StoreError
from gst.engine.spec.events import EpochEnded, Event, LayerPruned, Pruned, RunFinished, RunStarted
from gst.engine.spec.journal import JournalFile, event_op
from gst.store import queries
from gst.store.db import StoreBusyError, migrations, reading, writing
from gst.store.rows import ROW_TYPES, columns
from gst.store.sql import fetch
from gst.store.writer import StoreWriter, catch_up
from tests.processes import Processes

COLUMNS = {
    "sweeps": [
        "sweep_id",
        "preset",
        "created_at",
        "preset_toml",
        "overrides",
        "gst_version",
        "git_rev",
        "host",
        "device",
        "title",
        "description",
        "expect",
    ],
    "epochs": [
        "run_id",
        "epoch",
        "lr",
        "train_loss",
        "train_acc",
        "test_loss",
        "test_acc",
        "pre_prune_test_acc",
        "params_remaining",
        "seconds",
    ],
    "prune_events": [
        "run_id",
        "epoch",
        "acc_before",
        "acc_after",
        "drop_pp",
        "instability_rel",
        "kind",
        "noised_train_forwards",
        "noised_eval_forwards",
    ],
    "prune_layers": [
        "run_id",
        "epoch",
        "layer",
        "k_pruned",
        "alive_after",
        "score_mean",
        "score_min",
        "score_max",
        "targeted_total",
        "removed_total",
        "noised_train_forwards",
        "noised_eval_forwards",
        "window_complete",
    ],
}
RUN_COLUMNS = ["run_id", "sweep_id", "arm", "seed", "status", "model", "dataset", "spec_json", "started_at", "finished_at", "final_test_acc",
               "best_test_acc", "final_train_acc", "params_total", "params_remaining", "error", "backend", "worker", "attempt", "stacked_with", "precision",
               "note"]  # fmt: skip


def register(writer: StoreWriter, run_id: str = "s1-a-0") -> None:
    writer.record({"op": "sweep", "sweep": {"sweep_id": "s1", "preset": "p", "created_at": "2026-01-01 00:00:00", "preset_toml": "", "overrides": "[]", "gst_version": "0",
                   "git_rev": None, "host": "h", "device": "cpu", "title": "", "description": "", "expect": ""}})  # fmt: skip
    writer.record({"op": "run", "run": {"run_id": run_id, "sweep_id": "s1", "arm": "a", "seed": 0, "status": "queued", "model": "conv4",
                   "dataset": "synthetic", "spec_json": "{}", "spec_hash": "x", "label": "l", "epochs_total": 2}})  # fmt: skip


def feed(writer: StoreWriter, run_id: str = "s1-a-0") -> JournalFile:
    """A run's events as a producer sends them: journaled first (returned), then handed to the writer."""
    journal = JournalFile(writer.journal.path.parent)

    def handle(event: Event) -> None:
        journal.append(event_op(event))
        writer.handle(event)

    handle(RunStarted(run_id=run_id, seed=0, device="cpu", params_total=10, epochs_total=2, data_subset_hash="h"))
    for epoch in (1, 2):
        if epoch == 2:
            handle(
                Pruned(
                    run_id=run_id,
                    epoch=2,
                    acc_before=50.0,
                    acc_after=40.0,
                    layers=(
                        LayerPruned(layer="fc1", k_pruned=3, alive_after=7, score_mean=1, score_min=0, score_max=2),
                    ),
                )
            )
        handle(
            EpochEnded(
                run_id=run_id,
                epoch=epoch,
                lr=1e-3,
                train_loss=1,
                train_acc=50,
                test_loss=1,
                test_acc=40 + epoch,
                pre_prune_test_acc=50,
                params_remaining=7,
                seconds=1,
            )
        )
    handle(
        RunFinished(
            run_id=run_id, final_test_acc=42.0, best_test_acc=42.0, final_train_acc=50.0, params_remaining=7, seconds=2
        )
    )
    journal.close()
    return journal


def as_dead(writer: StoreWriter, producer: JournalFile, name: str = "999999999-dead.jsonl") -> Path:
    """Both journals of a killed process (its registrations, then its events) as one file of a dead owner."""
    target = writer.journal.path.parent / name
    writer.journal.close()
    target.write_bytes(writer.journal.path.read_bytes() + producer.path.read_bytes())
    writer.journal.path.unlink()
    producer.path.unlink()
    return target


def test_blank_database_gets_exact_schema(db: Path) -> None:
    with writing(db):
        pass
    with reading(db) as conn:
        tables = {t: [c[0] for c in conn.execute(f"DESCRIBE {t}").fetchall()] for t in (*COLUMNS, "runs")}
        applied = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert applied == [(version,) for version, _, _ in migrations()] and applied[:3] == [(1,), (2,), (3,)]
    for table, names in COLUMNS.items():
        assert tables[table] == names
    assert all(c in tables["runs"] for c in RUN_COLUMNS)


def test_typed_rows_are_the_schema(db: Path) -> None:
    """Each row type names exactly its table's columns (runs: the registration subset), in order."""
    with writing(db):
        pass
    with reading(db) as conn:
        for row_type in ROW_TYPES:
            table = [c[0] for c in conn.execute(f"DESCRIBE {row_type.TABLE}").fetchall()]
            mine = list(columns(row_type))
            if row_type.TABLE == "runs":
                assert set(mine) <= set(table)
            else:
                assert table == mine, row_type.TABLE


def test_unknown_field_in_an_operation_fails_loudly(db: Path) -> None:
    writer = StoreWriter(db)
    writer.open()
    register(writer)
    writer.record({"op": "run", "run": {"run_id": "x", "colour": "red"}})
    with pytest.raises(StoreError, match="unknown field.*colour"):
        writer.flush()
    writer.pending.clear()


def test_writer_stores_a_run_and_replay_is_idempotent(db: Path) -> None:
    writer = StoreWriter(db)
    writer.open()
    register(writer)
    producer = feed(writer)
    assert writer.close() and not writer.journal.path.exists() and producer.path.exists()  # the producer's owner
    producer.delete()  # deletes it once the events are in (execute_sweep)
    run = queries.run(db, "s1-a-0")
    assert run["status"] == "completed" and run["final_test_acc"] == 42.0 and run["epochs_done"] == 2
    assert [r["test_acc"] for r in queries.epochs(db, ["s1-a-0"])] == [41.0, 42.0]
    (event,) = queries.prune_events(db, ["s1-a-0"])
    assert event["drop_pp"] == 10.0 and event["instability_rel"] == pytest.approx(0.2) and event["layers"] == "fc1:3"
    again = StoreWriter(db)  # the same operations a second time change nothing
    register(again)
    feed(again)
    again.close()
    assert fetch(db, "SELECT count(*) AS n FROM epochs")[0]["n"] == 2
    assert queries.run(db, "s1-a-0")["status"] == "completed"


HOLD = """import duckdb, pathlib, sys, time
c = duckdb.connect(sys.argv[1])
print('held', flush=True)
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.01)
"""


class Holder:
    """Another process that holds the database's write lock until released (not for a fixed time, which a loaded
    machine could let pass before the test gets to look)."""

    def __init__(self, procs: Processes, db: Path) -> None:
        self.release_file = db.parent / f"release-{len(procs.started)}"
        self.proc = procs.python("-c", HOLD, str(db), str(self.release_file))
        self.proc.wait_for(lambda: "held" in self.proc.stdout, "the lock")

    def release(self) -> float:
        """Let go; returns when the holder has exited (the moment it was told, by the monotonic clock)."""
        told = time.monotonic()
        self.release_file.touch()
        assert self.proc.wait() == 0, self.proc.output()
        return told


@pytest.mark.slow
def test_locked_file_keeps_events_in_journal_then_catches_up(db: Path, procs: Processes) -> None:
    writer = StoreWriter(db, flush_timeout=0.2)
    writer.open()
    register(writer)
    writer.flush()
    holder = Holder(procs, db)
    producer = feed(writer)  # every flush fails fast; training would go on
    assert writer.waiting > 0 and writer.journal.path.exists() and producer.path.exists()
    holder.release()
    assert writer.close(timeout=10)
    assert queries.run(db, "s1-a-0")["status"] == "completed"


@pytest.mark.slow
def test_dead_process_journal_is_replayed(db: Path, procs: Processes) -> None:
    writer = StoreWriter(db, flush_timeout=0.1)
    writer.open()
    holder = Holder(procs, db)
    register(writer)
    producer = feed(writer)
    holder.release()
    orphan = as_dead(writer, producer)  # as if the process had been killed
    assert catch_up(db) == 7 and not orphan.exists()
    assert queries.run(db, "s1-a-0")["status"] == "completed"


def test_readers_wait_for_a_short_writer_and_fail_clearly_on_long_locks(db: Path, procs: Processes) -> None:
    with writing(db):
        pass
    holder = Holder(procs, db)
    told: list[float] = []
    releasing = threading.Timer(0.5, lambda: told.append(holder.release()))
    releasing.start()
    assert queries.sweeps(db) == []  # retried until the writer let go
    done = time.monotonic()
    releasing.join()
    assert done > told[0]  # it could read only once the holder had been told to let go
    holder = Holder(procs, db)
    with pytest.raises(StoreBusyError, match="locked"), reading(db, timeout=0.3):
        pass
    holder.release()


def test_bad_files_give_one_line_errors(tmp_path: Path) -> None:
    corrupt = tmp_path / "bad.duckdb"
    corrupt.write_text("not a database" * 100)
    with pytest.raises(StoreError, match="not a DuckDB database"), writing(corrupt):
        pass
    with pytest.raises(StoreError, match="no database here"):
        queries.runs(tmp_path / "missing.duckdb")
    with pytest.raises(StoreError, match="does not exist"), writing(tmp_path / "no" / "dir.duckdb"):
        pass


def test_user_query_is_read_only(db: Path) -> None:
    with writing(db):
        pass
    with pytest.raises(StoreError, match="may only read the database"):
        queries.query(db, "DELETE FROM runs")
    assert queries.query(db, "SELECT 1 AS one") == (["one"], [(1,)])
    assert isinstance(duckdb.__version__, str)


def test_migration_0007_rebuilds_runs_with_every_column_and_row(db: Path) -> None:
    """DuckDB cannot alter a CHECK constraint: runs is rebuilt to allow `diverged` (and seeds up to 2^32 - 1)."""
    conn = duckdb.connect(str(db))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    for version, name, sql in migrations():
        if version < 7:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    conn.execute(
        "INSERT INTO runs (run_id, sweep_id, arm, seed, status, model, dataset, spec_json, spec_hash, stacked_with, note) "
        "VALUES ('s-a-0', 's', 'a', 0, 'completed', 'conv4', 'synthetic', '{}', 'h', ['s-a-0', 's-a-1'], 'n'), "
        "('s-a-1', 's', 'a', 1, 'failed', 'conv4', 'synthetic', '{}', 'h', NULL, NULL)"
    )
    before_columns = conn.execute("DESCRIBE runs").fetchall()
    before = conn.execute("SELECT * FROM runs ORDER BY run_id").fetchall()
    with pytest.raises(duckdb.ConstraintException):
        conn.execute("UPDATE runs SET status = 'diverged' WHERE run_id = 's-a-1'")
    conn.close()
    with writing(db) as conn:
        after_columns = conn.execute("DESCRIBE runs").fetchall()[: len(before_columns)]  # later migrations add some
        kept = conn.execute("SELECT * FROM runs ORDER BY run_id").fetchall()
        assert [row[: len(before_columns)] for row in kept] == before
        conn.execute("UPDATE runs SET status = 'diverged', seed = 4294967295 WHERE run_id = 's-a-1'")
    with pytest.raises(duckdb.ConstraintException), writing(db) as conn:
        conn.execute("UPDATE runs SET status = 'exploded' WHERE run_id = 's-a-1'")
    assert [c[0] for c in after_columns] == [c[0] for c in before_columns]
    assert {c[0]: c[1] for c in after_columns}["seed"] == "BIGINT"
    assert queries.run(db, "s-a-1")["status"] == "diverged" and queries.run(db, "s-a-0")["stacked_with"] == [
        "s-a-0",
        "s-a-1",
    ]
