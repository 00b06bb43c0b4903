"""Real `gst` processes: reading while a run writes, two writers, Ctrl-C, and kill -9 then resume."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.store import queries
from gst.store.sql import fetch
from gst.tui.entry import app
from tests.conftest import tiny_preset
from tests.processes import Processes

pytestmark = pytest.mark.slow  # real gst processes


def slow_spec(tmp_path: Path, epochs: int = 40, name: str = "slow") -> Path:
    """About half a second per epoch on 2 cores; tests that interrupt a run leave it many epochs to go,
    so a slow database poll cannot let it finish first."""
    path = tmp_path / f"{name}.toml"
    path.write_text(tiny_preset(epochs=epochs, epc=48, end=max(1, epochs - 3)))
    return path


def epochs_of(db: Path) -> list[dict[str, object]]:
    rows = fetch(
        db,
        "SELECT epoch, lr, train_loss, train_acc, test_loss, test_acc, pre_prune_test_acc, params_remaining FROM epochs ORDER BY epoch",
    )
    return rows


def test_reader_sees_a_run_while_it_writes(db: Path, tmp_path: Path, procs: Processes) -> None:
    proc = procs.gst("run", "spec", str(slow_spec(tmp_path)), "--db", str(db), "--device", "cpu")
    seen: list[int] = []

    def running_with_epochs() -> bool:
        result = CliRunner().invoke(app, ["runs", "--db", str(db), "--json"])
        rows = json.loads(result.stdout)
        if rows and rows[0]["status"] == "running" and rows[0]["epochs_done"]:
            seen.append(rows[0]["epochs_done"])
        return len(set(seen)) >= 2

    proc.wait_for(running_with_epochs, "two epochs read while the run writes")
    assert proc.poll() is None  # the writer is still going while we read


def test_two_writers_on_one_file_both_finish(db: Path, tmp_path: Path, procs: Processes) -> None:
    spec = slow_spec(tmp_path, epochs=3)
    writers = [
        procs.gst("run", "spec", str(spec), "--db", str(db), "--device", "cpu", "--seeds", str(seed)) for seed in (0, 1)
    ]
    for proc in writers:
        assert proc.wait() == 0, proc.output()
    counts = fetch(
        db,
        "SELECT count(DISTINCT sweep_id) AS sweeps, count(*) AS runs, count(*) FILTER (WHERE status = 'completed') AS done FROM runs",
    )
    assert counts == [{"sweeps": 2, "runs": 2, "done": 2}]
    assert fetch(db, "SELECT count(*) AS n FROM epochs")[0]["n"] == 6
    assert not list((db.parent / "gst.duckdb.d" / "journal").glob("*.jsonl"))


def test_ctrl_c_marks_interrupted_and_exits_130(db: Path, tmp_path: Path, procs: Processes) -> None:
    # GST_HANDLE_SIGINT=1 (set by procs.gst, as the TUI's launcher sets it) overrides an inherited ignore
    proc = procs.gst("run", "spec", str(slow_spec(tmp_path)), "--db", str(db), "--device", "cpu", ignore_sigint=True)
    proc.wait_for(lambda: queries.runs(db)[0]["epochs_done"] >= 2, "two epochs stored")
    proc.send_signal(signal.SIGINT)
    assert proc.wait() == 130, proc.output()
    assert "interrupted by Ctrl-C (SIGINT)" in proc.stderr
    (run,) = queries.runs(db)
    assert run["status"] == "interrupted" and run["epochs_done"] >= 2
    assert run["error"] == "interrupted by Ctrl-C (SIGINT)"
    assert len(epochs_of(db)) == run["epochs_done"]
