"""The CLI keeps its word: `gst bench` names each measurement as it starts, `gst resume` takes the options the
README says it does, and `gst models` writes every count with thousands separators."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gst.engine.bench import speed
from gst.engine.bench.speed import BenchReport
from gst.engine.bench.throughput import best_interleaved
from gst.tui.entry import app

README = Path(__file__).resolve().parents[3] / "README.md"


def test_interleaved_passes_are_announced_as_they_start() -> None:
    heard: list[str] = []
    best = best_interleaved({"plain": lambda: 1.0, "gst": lambda: 2.0}, 2, heard.append)
    assert best == {"plain": 1.0, "gst": 2.0}
    assert heard == ["plain pass, round 1 of 2", "gst pass, round 1 of 2", "plain pass, round 2 of 2",
                     "gst pass, round 2 of 2"]  # fmt: skip


def test_bench_shows_each_measurement_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(model: str, device: object, *, steps: int, seed_images: dict[int, int], note: object) -> BenchReport:
        for what in ("plain pass, round 1 of 3", "2 seeds at batch 3, stacked", "checkpoint snapshot and write"):
            note(what)  # type: ignore[operator]  # the CLI's announcer
        return BenchReport(model=model, device="cpu", batch=128, plain_ips=1, gst_ips=2, compute_ips=2, eval_ips=3,
                           runs_per_hour={"3": {"one_at_a_time": 10, "stacked": 9}})  # fmt: skip

    monkeypatch.setattr(speed, "run_bench", fake)
    result = CliRunner().invoke(app, ["bench", "--model", "conv4", "--device", "cpu", "--steps", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "measuring conv4 on cpu (1 steps per loop)…"
    assert [line.split(" (")[0].strip() for line in lines[1:]] == [
        "plain pass, round 1 of 3", "2 seeds at batch 3, stacked", "checkpoint snapshot and write"
    ]  # fmt: skip
    assert "s so far)" in lines[1]


def test_resume_takes_the_options_of_run_the_readme_says_it_does() -> None:
    cmd = typer.main.get_command(app)

    def options(command: object) -> set[str]:
        return {o for p in command.params for o in p.opts if o.startswith("--")}  # type: ignore[attr-defined]

    run, resume = options(cmd.commands["run"].commands["preset"]), options(cmd.commands["resume"])  # type: ignore[attr-defined]
    row = next(line for line in README.read_text().splitlines() if line.startswith("| `gst resume"))
    taken, refused = row.split(", not ")
    assert set(re.findall(r"`(--[a-z-]+)`", refused)) == run - resume
    assert set(re.findall(r"`(--[a-z-]+)`", taken)) <= resume


def test_models_writes_every_count_with_thousands_separators() -> None:
    result = CliRunner().invoke(app, ["models"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "9,248" in result.output and "1,180,160" in result.output
    assert not re.search(r"(?<![\d,.])\d{4,}(?![\d,])", result.output.replace("resnet", "").replace("vgg", ""))


@pytest.mark.parametrize(("override", "message"), [
    ('base.pre_prune_test="always"', "arm unpruned: pre_prune_test: 'always' is not allowed (allowed: pruning_epochs, every_epoch)"),
    ("arm.prune_L.flatness={epochs = [5], k = 1000000, count = 16}",
     "arm prune_L: flatness.k: 1000000 is more than the 189175 alive parameters at epoch 5 (allowed: 1..189175)"),
])  # fmt: skip
def test_a_bad_cadence_or_k_is_one_line_exit_1_nothing_written(override: str, message: str, tmp_path: Path) -> None:
    db = tmp_path / "gst.duckdb"
    result = CliRunner().invoke(app, ["run", "preset", "smoke", "--set", override, "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert not db.exists() and not list(tmp_path.iterdir())


def test_plan_at_80_columns_keeps_each_layers_noise_windows() -> None:
    result = CliRunner().invoke(app, ["plan", "preset", "later_fig5", "--arm", "zeroing_1105"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    table = [line for line in result.stdout.splitlines() if line.startswith(("┏", "┃", "│", "└"))]
    assert "window train+test" in table[1] and max(len(line) for line in table) <= 80
    assert any("conv8" in line and "1106+395 ×7" in line for line in table)
