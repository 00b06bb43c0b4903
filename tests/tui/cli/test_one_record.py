"""One sweep, one record: an existing sweep id is refused with the database unchanged; a run that diverges or
crashes is stored in one line (the traceback in `<db>.d/logs/`), never as completed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.engine.train import Trainer
from gst.store import queries
from gst.store.db import files_dir
from gst.tui.entry import app
from tests.conftest import tiny_preset
from tests.tui.fabricate import fabricate

runner = CliRunner()


def gst(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def sweep_rows(db: Path) -> list[dict[str, object]]:
    return [dict(r) for r in queries.sweeps(db)] + [dict(r) for r in queries.runs(db)]


def test_an_existing_sweep_id_is_refused_and_nothing_changes(db: Path) -> None:
    fabricate(db, "smoke", seeds=1, sweep_id="s0")
    before, size = sweep_rows(db), db.stat().st_size
    code, out, err = gst("run", "preset", "smoke", "--db", str(db), "--sweep-id", "s0", "--set", "seeds=[5]")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("error: --sweep-id s0: ") and "already holds sweep s0" in err and "gst resume s0" in err
    assert sweep_rows(db) == before and db.stat().st_size == size
    assert not list((files_dir(db) / "journal").glob("*.jsonl"))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--seeds", "0,0"), "--seeds: 0,0 repeats seed 0"),
        (("--arms", "prune_L,prune_L"), "names arm 'prune_L' twice"),
        (("--set", "seeds=[1,1]"), "seeds: [1, 1] repeats seed 1"),
        (("--set", "seeds=[100000000000000000000]"), "seeds: [100000000000000000000] must be"),
        (("--set", "base.lr=nan"), "lr: expected a finite number, got nan"),
        (("--set", "base.lr=1e308"), "lr: 1e+308 must be > 0"),
    ],
)
def test_repeated_or_nonsense_values_write_nothing(db: Path, args: tuple[str, ...], fragment: str) -> None:
    code, out, err = gst("run", "preset", "smoke", "--db", str(db), *args)
    assert code == 1 and out == "" and err.count("\n") == 1 and fragment in err, err
    assert not db.exists() and not files_dir(db).exists()


def tiny_spec(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_preset(epochs=3, epc=4))
    return path


def test_a_diverged_run_is_stored_as_diverged_with_its_epoch(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nan_in_epoch_2(self: Trainer) -> tuple[float, float]:
        """An epoch's loss and accuracy (real training diverges in tests/engine/test_train.py)."""
        return (float("nan"), 10.0) if self.progress.epochs_done == 1 else (2.3, 10.0)

    monkeypatch.setattr(Trainer, "train_epoch", nan_in_epoch_2)
    code, _, err = gst("run", "spec", str(tiny_spec(tmp_path)), "--db", str(db), "--sweep-id", "nan", "--workers", "1")
    assert code == 1 and err.strip().splitlines()[-1] == (
        "error: 1 of 1 runs diverged (stored as `diverged`): nan-base-0: loss became nan at epoch 2"
    )
    run = queries.run(db, "nan-base-0")
    assert (run["status"], run["epochs_done"], run["error"]) == ("diverged", 1, "loss became nan at epoch 2")
    assert [e["epoch"] for e in queries.epochs(db, ["nan-base-0"])] == [1]
    code, out, _ = gst("runs", "--db", str(db), "--status", "diverged", "--json")
    assert code == 0 and [r["run_id"] for r in json.loads(out)] == ["nan-base-0"]
    code, _, err = gst("check", "--db", str(db))
    assert code == 0 and err.startswith("ok: 1 runs")
    code, out, _ = gst("resume", "nan", "--db", str(db))  # nothing to train: it would diverge again
    assert code == 0 and "is complete (its 1 diverged run(s) would diverge again)" in out
    code, out, _ = gst("summary", "nan", "--db", str(db))
    assert code == 0 and "diverged: 1 run(s) whose loss became NaN or infinite, left out of n: nan-base-0" in out


def test_a_crash_stores_one_line_naming_the_log_that_keeps_the_traceback(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Trainer) -> tuple[float, float]:
        raise RuntimeError("shapes do not match\nsecond line of torch's message")

    monkeypatch.setattr(Trainer, "train_epoch", boom)
    code, _, err = gst("run", "spec", str(tiny_spec(tmp_path)), "--db", str(db), "--sweep-id", "bad", "--workers", "1")
    log = (files_dir(db) / "logs" / "bad-base-0.log").resolve()
    line = f"RuntimeError: shapes do not match (traceback in {log})"
    assert code == 1 and err.strip().splitlines()[-1] == f"error: 1 of 1 runs failed: {line}"
    run = queries.run(db, "bad-base-0")
    assert run["status"] == "failed" and run["error"] == line
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in boom" in text and "second line" in text
