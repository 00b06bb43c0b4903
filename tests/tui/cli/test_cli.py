"""The CLI through Typer's runner: results on stdout, one-line errors with exit 1, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from gst.tui.entry import app

runner = CliRunner()


def gst(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_models_json_lists_counts_and_layers() -> None:
    code, out, _ = gst("models", "--json")
    data = {m["name"]: m for m in json.loads(out)}
    assert code == 0 and data["conv4"]["params"] == 1_250_858 and data["vgg11"]["params"] == 9_231_114
    assert [layer["name"] for layer in data["vgg11"]["layers"]] == [f"conv{i}" for i in range(1, 9)] + ["fc1"]
    assert data["vgg11"]["layers"][7] == {"name": "conv8", "units": 512, "params": 2_360_832}


def test_plan_json_shape() -> None:
    code, out, _ = gst("plan", "preset", "smoke", "--json")
    arms = json.loads(out)["arms"]
    assert code == 0 and set(arms) == {"unpruned", "prune_S", "prune_L"}
    assert arms["unpruned"]["params_removed"] == 0
    fc1 = arms["prune_L"]["layers"]["fc1"]
    assert (
        [e["epoch"] for e in fc1] == [2, 3, 4] and sum(e["k"] for e in fc1) == 1_061_683 and fc1[-1]["alive"] == 117_965
    )


def test_presets_list_and_show() -> None:
    code, out, _ = gst("presets")
    assert code == 0 and "smoke" in out
    code, out, _ = gst("presets", "show", "smoke")
    assert code == 0 and "[base.prune]" in out and "prune_L" in out


@pytest.mark.slow
def test_smoke_preset_end_to_end(db: Path, tmp_path: Path) -> None:
    code, out, err = gst("run", "preset", "smoke", "--db", str(db), "--device", "cpu")
    assert code == 0, err
    assert "prune_L" in out and "final %" in out
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*), count(*) FILTER (WHERE status = 'completed') FROM runs").fetchone() == (
            6,
            6,
        )
        assert conn.execute("SELECT count(*) FROM epochs").fetchone() == (30,)
        assert conn.execute("SELECT count(*), count(DISTINCT run_id) FROM prune_events").fetchone() == (12, 4)
        assert conn.execute("SELECT sum(k_pruned) FROM prune_layers").fetchone() == (4 * 1_061_683,)
        drops = dict(
            conn.execute(
                "SELECT r.arm, avg(e.drop_pp) FROM prune_events e JOIN runs r USING (run_id) GROUP BY r.arm"
            ).fetchall()
        )
        (sweep_id,) = conn.execute("SELECT sweep_id FROM sweeps").fetchone()  # type: ignore[misc]
    assert drops["prune_L"] > drops["prune_S"]  # large-magnitude pruning is the unstable one
    assert not list((db.parent / "gst.duckdb.d" / "checkpoints").glob("*.pt"))  # removed once completed

    code, out, _ = gst("runs", "--db", str(db), "--json")
    assert code == 0 and len(json.loads(out)) == 6
    run_id = f"{sweep_id}-prune_L-0"
    code, out, _ = gst("show", run_id, "--db", str(db))
    assert code == 0 and "pruning events" in out and "fc1:353894" in out
    code, out, _ = gst(
        "query", "SELECT arm, count(*) AS n FROM runs GROUP BY arm ORDER BY arm", "--db", str(db), "--csv"
    )
    assert code == 0 and out.splitlines() == ["arm,n", "prune_L,2", "prune_S,2", "unpruned,2"]
    code, out, _ = gst("export", str(tmp_path / "out"), "--db", str(db), "--format", "csv")
    assert code == 0 and (tmp_path / "out" / "epochs.csv").read_text().count("\n") == 31
    code, out, _ = gst("export", str(tmp_path / "pq"), "--db", str(db))
    assert code == 0 and (tmp_path / "pq" / "runs.parquet").stat().st_size > 0
    code, out, _ = gst("resume", sweep_id, "--db", str(db))
    assert code == 0 and "complete" in out


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "preset", "nope"], "unknown preset 'nope'"),
        (["run", "preset", "smoke", "--set", "base.prune.fraction=[1.5]"], "prune.fraction[0]: 1.5 is outside [0, 1)"),
        (["run", "preset", "smoke", "--set", "base.epochs"], "expected KEY=VALUE"),
        (["run", "preset", "smoke", "--device", "cuda:7"], "cuda:7 is not available"),
        (["run", "preset", "smoke", "--device", "gpu"], "allowed: auto, cpu, cuda, cuda:N"),
        (["run", "preset", "smoke", "--arms", "prune_X"], "unknown arm 'prune_X'"),
        (["run", "preset", "smoke", "--seeds", "a,b"], "--seeds"),
        (
            ["run", "preset", "smoke", "--set", 'base.dataset="cifar10"', "--set", "base.examples_per_class=10"],
            "CIFAR-10 is not in",
        ),
        (["run", "spec", "missing.toml"], "no such preset file"),
    ],
)
def test_bad_run_input_is_one_line_exit_1_and_writes_nothing(
    args: list[str], fragment: str, db: Path, tmp_path: Path
) -> None:
    extra = ["--data-dir", str(tmp_path / "empty")] if "cifar10" in " ".join(args) else []
    code, out, err = gst(*args, "--db", str(db), *extra)
    assert code == 1 and out == ""
    assert fragment in err and err.strip().count("\n") == 0 and "Traceback" not in err
    assert not db.exists()


def test_unknown_ids_and_bad_databases(db: Path, tmp_path: Path) -> None:
    code, _, err = gst("runs", "--db", str(db))
    assert code == 1 and "no database here" in err
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_text("garbage" * 100)
    code, _, err = gst("run", "preset", "smoke", "--db", str(corrupt))
    assert code == 1 and "not a DuckDB database" in err
    code, _, err = gst("run", "preset", "smoke", "--db", str(tmp_path / "nodir" / "x.duckdb"))
    assert code == 1 and "does not exist" in err
    with duckdb.connect(str(db)):
        pass
    from gst.store.db import writing

    with writing(db):
        pass
    for args, fragment in ((["show", "zzz"], "no run 'zzz'"), (["resume", "zzz"], "no sweep 'zzz'"), (["runs", "--status", "done"], "allowed: queued"),
                           (["query", "SELEC 1"], "query failed"), (["export", str(tmp_path / "e"), "--format", "xls"], "allowed: parquet, csv")):  # fmt: skip
        code, _, err = gst(*args, "--db", str(db))
        assert code == 1 and fragment in err, (args, err)
