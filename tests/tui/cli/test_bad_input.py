"""Every documented command, given bad input, answers in one line with exit 1 (or a usage error, 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.tui.entry import app
from tests.processes import Processes
from tests.tui.fabricate import fabricate

SMOKE_CIFAR = ("run", "preset", "smoke", "--set", 'base.dataset="cifar10"', "--device", "cpu")


def workspace(root: Path) -> dict[str, Path]:
    """Files the bad inputs point at: a real database, a text file, a folder, a cut npz, a blocked files folder."""
    paths = {
        "db": root / "gst.duckdb",
        "text": root / "notes.txt",
        "folder": root / "folder",
        "cut": root / "cut",
        "blocked": root / "blocked" / "gst.duckdb",
        "toml": root / "broken.toml",
        "binary": root / "binary.toml",
        "exported": root / "exported",
    }
    fabricate(paths["db"], "smoke", seeds=2, sweep_id="s0")
    paths["text"].write_text("not a database\n")
    paths["folder"].mkdir()
    paths["cut"].mkdir()
    (paths["cut"] / "cifar10.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    paths["blocked"].parent.mkdir()
    (paths["blocked"].parent / "gst.duckdb.d").write_text("in the way")
    paths["toml"].write_text("title = 'x'\n[base\nmodel = 1\n")
    paths["binary"].write_bytes(bytes(range(256)))
    paths["exported"].mkdir()
    (paths["exported"] / "runs.parquet").write_text("old")
    return paths


def cases(p: dict[str, Path]) -> list[tuple[str, ...]]:
    """Bad input for each command of the README's CLI reference."""
    db = ("--db", str(p["db"]))
    return [
        ("query", "", *db),
        ("query", "SELEC 1", *db),
        ("query", "SELECT 1", "--db", str(p["text"])),
        ("query", "SELECT 1", "--db", str(p["folder"])),
        ("query", "SELECT 1", *db, "--timeout", "-1"),
        ("query", "SELECT * FROM read_text('/etc/passwd')", *db),
        ("export", str(p["text"]), *db),
        ("export", str(p["exported"]), *db),
        ("export", str(p["folder"]), *db, "--format", "xml"),
        ("export", str(p["folder"]), "--db", str(p["folder"] / "missing.duckdb")),
        ("runs", "--db", str(p["folder"] / "missing.duckdb")),
        ("runs", *db, "--status", "sleeping"),
        ("runs", *db, "--sweep", "nosuch"),
        ("show", "nosuch", *db),
        ("show", "s0-prune", *db),
        ("show", "", *db),
        ("summary", "nosuch", *db),
        ("figure", "nosuch", *db),
        ("figure", "s0", *db, "--out", str(p["text"])),
        ("sync", "--db", str(p["folder"] / "missing.duckdb")),
        ("resume", "nosuch", *db),
        ("presets", "show", "nosuch"),
        ("plan", "preset", "nosuch"),
        ("plan", "preset", "smoke", "--arm", "nosuch"),
        ("plan", "spec", str(p["binary"])),
        ("plan", "spec", str(p["toml"])),
        ("run", "spec", str(p["folder"] / "missing.toml"), *db),
        ("run", "preset", "smoke", *db, "--set", "base.epochs=-1"),
        ("run", "preset", "smoke", *db, "--seeds", "a,b"),
        ("run", "preset", "smoke", *db, "--arms", "nosuch"),
        ("run", "preset", "smoke", *db, "--device", "cuda:7"),
        ("run", "preset", "smoke", *db, "--precision", "fp8"),
        ("run", "preset", "smoke", *db, "--workers", "0"),
        ("run", "preset", "smoke", "--db", str(p["folder"] / "no" / "gst.duckdb")),
        ("run", "preset", "smoke", "--db", str(p["blocked"])),
        (*SMOKE_CIFAR, *db, "--data-dir", str(p["text"])),
        (*SMOKE_CIFAR, *db, "--data-dir", str(p["cut"])),
        ("run", "preset", "smoke", *db, "--data-dir", str(p["text"])),  # a file, even where no CIFAR-10 is read
        ("run", "preset", "smoke", *db, "--threads", "0"),
        ("run", "preset", "smoke", *db, "--sweep-id", "s0"),
        ("run", "preset", "smoke", *db, "--seeds", "0,0"),
        ("run", "preset", "smoke", *db, "--set", "base.lr=nan"),
        ("run", "preset", "smoke", *db, "--set", "seeds=[100000000000000000000]"),
        ("run", "preset", "smoke", "--db", str(p["text"])),
        ("run", "preset", "smoke", "--db", str(p["folder"])),
        ("runs", "--db", str(p["folder"])),
        ("tui", "--db", str(p["text"])),
        ("tui", "--db", str(p["folder"])),
        ("tui", *db, "--data-dir", str(p["text"])),
        ("bench", "--model", "nosuch"),
        ("nosuch",),
    ]


def check(args: tuple[str, ...], code: int, output: str) -> None:
    assert "Traceback" not in output, f"gst {' '.join(args)}:\n{output}"
    assert code in (1, 2), f"gst {' '.join(args)} exited {code}:\n{output}"
    if code == 1:
        lines = [line for line in output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), f"gst {' '.join(args)}:\n{output}"


@pytest.mark.slow
def test_bad_input_in_process(tmp_path: Path) -> None:
    """Fast: the same inputs through Typer's runner (an uncaught exception would surface as result.exception)."""
    p = workspace(tmp_path)
    runner = CliRunner()
    for args in cases(p):
        result = runner.invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"gst {' '.join(args)} raised {result.exception!r}") from result.exception
        check(args, result.exit_code, result.stderr + result.stdout)
    assert not (p["folder"] / "no").exists() and not p["blocked"].exists()


@pytest.mark.slow
def test_bad_input_in_subprocesses(tmp_path: Path, procs: Processes) -> None:
    """The first bad input of each command, and those the issue found, each in its own `gst` process."""
    p = workspace(tmp_path)
    env = {"COLUMNS": "80"}
    seen: set[str] = set()
    todo = []
    for args in cases(p):
        if args[0] not in seen or "--data-dir" in args or str(p["blocked"]) in args or "--sweep-id" in args:
            todo.append(args)
        seen.add(args[0])
    while todo:
        stack, todo = todo[:4], todo[4:]
        started = [(args, procs.gst(*args, env=env)) for args in stack]
        for args, proc in started:
            code = proc.wait()
            check(args, code, proc.stderr + proc.stdout)
