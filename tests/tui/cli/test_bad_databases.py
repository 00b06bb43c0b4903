"""A database is checked before it is trusted: a damaged, cut, newer, foreign, folder or read-only --db gets one
line on every command (the app's too) before anything is printed or written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from gst.store.db import files_dir, migrations
from tests.tui.fabricate import fabricate

COMMANDS = [
    ("runs",),
    ("show", "s0-prune_L-0"),
    ("query", "SELECT count(*) FROM epochs"),
    ("summary", "s0"),
    ("check",),
    ("sync",),
    ("export", "{out}"),
    ("resume", "s0"),
    ("run", "preset", "smoke", "--set", "seeds=[7]"),
    ("tui",),
]
WRITERS = {"sync", "resume", "run"}


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a small real database (one smoke sweep)."""
    db = tmp_path_factory.mktemp("orig") / "gst.duckdb"
    fabricate(db, "smoke", seeds=1, sweep_id="s0")
    return db.read_bytes()


def make(kind: str, folder: Path, original: bytes) -> Path:
    """A --db of the given kind of wrong."""
    db = folder / f"{kind}.duckdb"
    if kind == "folder":
        db.mkdir()
    elif kind == "text":
        db.write_text("name,value\nlr,0.001\n")
    elif kind == "empty":
        db.write_bytes(b"")
    elif kind == "cut":
        db.write_bytes(original[: len(original) // 2])
    elif kind == "cut_header":
        db.write_bytes(original[:20_000])
    else:
        db.write_bytes(original)
        conn = duckdb.connect(str(db))
        if kind == "newer":
            conn.execute("INSERT INTO schema_migrations VALUES (?, 'future.sql', now())", [LATEST + 1])
        elif kind == "foreign":
            conn.execute("DROP TABLE schema_migrations")
        conn.close()
        if kind == "read_only":
            db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return db


LATEST = max(version for version, _, _ in migrations())

EXPECTED = {
    "folder": "is a folder, not a database file",
    "text": "not a DuckDB database file",
    "empty": "not a DuckDB database file (an empty file)",
    "cut": "damaged or cut short",
    "cut_header": "damaged or cut short",
    "newer": f"written by a newer gst (schema {LATEST + 1}; this gst knows up to {LATEST})",
    "foreign": "a DuckDB database, but not gst's",
    "read_only": "the file is read-only and this command writes to it",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_every_command_says_what_is_wrong_in_one_line(kind: str, tmp_path: Path, original: bytes) -> None:
    runner = CliRunner()
    db = make(kind, tmp_path, original)
    before = sorted(p.name for p in tmp_path.iterdir())
    content = db.read_bytes() if db.is_file() else None
    for command in COMMANDS:
        if kind == "read_only" and command[0] == "tui":
            continue  # the app would start: it only reads, and its launches say the same line
        args = [a.format(out=tmp_path / "exported") for a in command]
        result = runner.invoke(app(), [*args, "--db", str(db)])
        if kind == "read_only" and command[0] not in WRITERS:
            assert result.exit_code == 0, (args, result.output)  # reading a read-only file is fine
            continue
        output = result.stderr + result.stdout
        assert result.exit_code == 1, (args, output)
        assert output.count("\n") == 1 and output.startswith(f"error: {db}: ") and EXPECTED[kind] in output, (
            args,
            output,
        )
    if content is not None:
        assert db.read_bytes() == content  # nothing written into it
    assert not files_dir(db).exists() and sorted(p.name for p in tmp_path.iterdir() if p.name != "exported") == [
        p for p in before if p != "exported"
    ]
    if kind == "read_only":
        db.chmod(stat.S_IRUSR | stat.S_IWUSR)


def app() -> typer.Typer:
    """The `gst` program (imported when a test runs, after the module's fixture has built its database)."""
    from gst.tui.entry import app as gst_app

    return gst_app


def test_a_data_dir_that_is_a_file_stops_the_app_in_one_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    result = CliRunner().invoke(app(), ["tui", "--db", str(tmp_path / "gst.duckdb"), "--data-dir", str(notes)])
    assert (
        result.exit_code == 1
        and result.stderr == f"error: --data-dir: {notes} is a file; give the folder that holds cifar10.npz\n"
    )
    assert not (tmp_path / "gst.duckdb").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the mode bits are the test only where root could write anyway")
def test_root_is_refused_a_read_only_file_too(tmp_path: Path, original: bytes) -> None:
    db = make("read_only", tmp_path, original)
    result = CliRunner().invoke(app(), ["sync", "--db", str(db)])
    assert result.exit_code == 1 and "read-only" in result.stderr
    db.chmod(stat.S_IRUSR | stat.S_IWUSR)
