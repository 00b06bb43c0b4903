"""`gst query` reads the database and nothing else; a long query stops on --timeout or Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.tui.entry import app
from tests.processes import Processes

LONG_QUERY = "SELECT count(*) FROM range(1000000000000) a, range(1000) b"


ATTACKS = [
    "COPY (SELECT 'x') TO 'victim.txt' (HEADER false)",
    "COPY runs TO 'leak.csv'",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM glob('{home}/*')",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "ATTACH '{home}/other.duckdb' AS other",
    "EXPORT DATABASE 'dump'",
    "DELETE FROM runs",
    "SELECT * FROM 'https://example.com/data.csv'",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_query_cannot_touch_files_extensions_or_settings(store: Path, tmp_path: Path, attack: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    secret = home / "secret.txt"
    secret.write_text("postgres:x:101:TOPSECRET\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("original")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(app, ["query", attack.format(secret=secret, home=home), "--db", str(store)])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and "may only read the database" in result.stderr
    assert "TOPSECRET" not in result.output and "Traceback" not in result.output
    assert victim.read_text() == "original"
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written anywhere


def test_export_still_writes_files(store: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", str(tmp_path / "out"), "--db", str(store), "--format", "csv"])
    assert result.exit_code == 0 and (tmp_path / "out" / "runs.csv").read_text().startswith("run_id,")


def test_empty_query_is_one_line(store: Path) -> None:
    result = CliRunner().invoke(app, ["query", "  ", "--db", str(store)])
    assert result.exit_code == 1 and result.stderr.startswith("error: query: the SQL text is empty")


def test_timeout_stops_a_long_query(store: Path) -> None:
    t0 = time.monotonic()
    result = CliRunner().invoke(app, ["query", LONG_QUERY, "--db", str(store), "--timeout", "0.3"])
    assert result.exit_code == 1 and "stopped after 0.3 s" in result.stderr
    assert time.monotonic() - t0 < 10


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_a_long_query(store: Path, procs: Processes) -> None:
    """Even when SIGINT arrives inherited as ignored (a background job), as the TUI's launcher would start it."""
    proc = procs.gst("query", LONG_QUERY, "--db", str(store), ignore_sigint=True)
    # the query under way: its process has used a second of CPU time (interpreter start is about as much again)
    proc.wait_for(lambda: proc.activity()[0] >= 2 * os.sysconf("SC_CLK_TCK"), "the query to run")
    proc.send_signal(signal.SIGINT)
    assert proc.wait() == 130, proc.output()
    assert "query stopped by Ctrl-C" in proc.stderr and "resume" not in proc.stderr


CTRL_C_AT = """
import os, signal, sys, threading
from pathlib import Path
from gst.store.sandbox import run_query
signal.signal(signal.SIGINT, signal.default_int_handler)
try:  # the timer inside: on a loaded machine it can fire before start() returns
    threading.Timer(float(sys.argv[2]), os.kill, (os.getpid(), signal.SIGINT)).start()
    run_query(Path(sys.argv[1]), sys.argv[3])
except KeyboardInterrupt:
    print("stopped", [t.name for t in threading.enumerate()])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("delay", [0.01, 0.02, 0.05, 0.1, 0.3])
def test_ctrl_c_at_any_moment_leaves_no_query_running_and_exits_cleanly(
    store: Path, delay: float, procs: Processes
) -> None:
    """Python 3.11 marks a thread finished when Ctrl-C cuts its join short: closing the connection then, under the
    running query, aborted the process at exit (SIGABRT) about half the time."""
    proc = procs.python("-c", CTRL_C_AT, str(store), str(delay), LONG_QUERY)
    assert proc.wait() == 0, proc.output()
    assert proc.stdout.strip() == "stopped ['MainThread']"
