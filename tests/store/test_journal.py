"""Damaged journals: what can be applied is, the rest is kept in quarantine with one line, runs go on."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.engine.spec.events import EpochEnded
from gst.engine.spec.journal import event_op
from gst.store import queries
from gst.store.db import files_dir, writing
from gst.store.invariants import check_sweep
from gst.store.replay import quarantine_dir, read_journal
from gst.store.sql import fetch
from gst.store.writer import StoreWriter, catch_up
from gst.tui.entry import app
from tests.store.test_store import as_dead, feed, register

DEAD = "999999999"  # a pid no process has


def dead_journal(db: Path, name: str = f"{DEAD}-dead.jsonl") -> Path:
    """A complete run's journal as a killed process would leave it (nothing flushed)."""
    writer = StoreWriter(db)
    writer.open()
    writer.flush = lambda timeout=None: True  # type: ignore[method-assign]
    register(writer)
    return as_dead(writer, feed(writer), name)


def test_random_bytes_are_kept_aside_and_runs_go_on(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal = dead_journal(db)
    garbage = os.urandom(300).replace(b"\n", b"")
    (files_dir(db) / "journal" / f"{DEAD}-noise.jsonl").write_bytes(garbage)
    with caplog.at_level(logging.WARNING):
        assert catch_up(db) == 7
    assert not journal.exists() and queries.run(db, "s1-a-0")["status"] == "completed"
    kept = list(quarantine_dir(db).iterdir())
    assert [p.read_bytes() for p in kept] == [garbage + b"\n"]
    assert "1 unreadable line(s) kept" in caplog.text
    assert catch_up(db) == 0  # nothing left to trip over


def test_unknown_ops_and_a_cut_line_are_quarantined_not_counted(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal = dead_journal(db)
    good = journal.read_bytes()
    unknown = json.dumps({"op": "teleport", "at": "2026-01-01 00:00:00"}).encode()
    cut = good.splitlines()[-1][:25]
    journal.write_bytes(unknown + b"\n" + good + cut)
    assert len(read_journal(journal).ops) == 7
    with caplog.at_level(logging.WARNING):
        assert catch_up(db) == 7
    (kept,) = quarantine_dir(db).iterdir()
    assert kept.read_bytes() == unknown + b"\n" + cut + b"\n"
    assert "2 unreadable line(s)" in caplog.text


def test_a_journal_that_cannot_be_applied_is_kept_whole(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal = dead_journal(db)
    with writing(db) as conn:
        conn.execute("DROP TABLE prune_layers")  # as if the schema had been damaged
    content = journal.read_bytes()
    with caplog.at_level(logging.WARNING):
        assert catch_up(db) == 0
    (kept,) = quarantine_dir(db).iterdir()
    assert kept.read_bytes() == content and not journal.exists()
    assert "could not be applied" in caplog.text


def test_a_journal_without_a_pid_in_its_name_is_replayed(db: Path) -> None:
    dead_journal(db, "copied-by-hand.jsonl")
    assert catch_up(db) == 7


def test_sync_reports_damage_in_one_line_and_a_missing_database_like_other_commands(db: Path, tmp_path: Path) -> None:
    dead_journal(db)
    (files_dir(db) / "journal" / f"{DEAD}-noise.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    result = CliRunner().invoke(app, ["sync", "--db", str(db)])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"replayed_operations": 7}
    result = CliRunner().invoke(app, ["sync", "--db", str(tmp_path / "missing.duckdb")])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "no database here" in result.stderr
    assert not (tmp_path / "missing.duckdb").exists()


def event_line(run_id: str) -> bytes:
    """A journal line of an EpochEnded event of `run_id`."""
    event = EpochEnded(run_id=run_id, epoch=1, lr=1e-3, train_loss=1.0, train_acc=50.0, test_loss=1.0, test_acc=40.0,
                       pre_prune_test_acc=40.0, params_remaining=7, seconds=1.0)  # fmt: skip
    return json.dumps(event_op(event)).encode()


def test_events_of_runs_that_do_not_exist_are_quarantined_never_applied(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    journal = dead_journal(db)
    ghost = event_line("ghost-a-0")
    journal.write_bytes(journal.read_bytes() + ghost + b"\n")
    with caplog.at_level(logging.WARNING):
        assert catch_up(db) == 7  # the real run's registrations and events; not the ghost's
    assert queries.run(db, "s1-a-0")["status"] == "completed"
    assert fetch(db, "SELECT count(*) AS n FROM epochs WHERE run_id = 'ghost-a-0'")[0]["n"] == 0
    (kept,) = quarantine_dir(db).iterdir()
    assert kept.read_bytes() == ghost + b"\n"
    assert "1 refused line(s) (EpochEnded of run ghost-a-0, which is not registered)" in caplog.text
    assert not [v for v in check_sweep(db, None)[1] if v.check == "rows have their run"]


def test_a_registration_never_replaces_the_stored_one(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A replayed registration identical to the stored one is fine; one that differs is kept aside with its runs'
    events, and the stored sweep is untouched."""
    dead_journal(db)
    assert catch_up(db) == 7
    stored = fetch(db, "SELECT * FROM sweeps")
    again = dead_journal(db, f"{DEAD}-again.jsonl")  # the same operations once more: nothing to add, nothing refused
    assert catch_up(db) == 5 and not again.exists() and not quarantine_dir(db).exists()
    other = dead_journal(db, f"{DEAD}-other.jsonl")
    lines = other.read_bytes().splitlines()
    sweep = json.loads(lines[0])
    sweep["sweep"]["created_at"], sweep["sweep"]["overrides"] = "2030-01-01 00:00:00", None
    run = json.loads(lines[1])
    run["run"]["run_id"], run["run"]["spec_json"] = "s1-b-0", '{"lr": 1}'
    other.write_bytes(b"\n".join([json.dumps(sweep).encode(), json.dumps(run).encode(), event_line("s1-b-0")]) + b"\n")
    with caplog.at_level(logging.WARNING):
        assert catch_up(db) == 0
    assert fetch(db, "SELECT * FROM sweeps") == stored
    assert [r["run_id"] for r in queries.runs(db)] == ["s1-a-0"]
    assert "sweep s1 is already registered with other created_at, overrides; not replaced" in caplog.text
    (kept,) = quarantine_dir(db).iterdir()
    assert len(kept.read_bytes().splitlines()) == 3
