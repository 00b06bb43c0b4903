"""CLI output people can read and act on: literal cells, readable numbers, id prefixes, help text, figures of partial sweeps."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gst.engine.spec.errors import GstError
from gst.engine.spec.plan import plan
from gst.engine.spec.preset import load_preset
from gst.store.db import writing
from gst.tui.cli.many_runs import CONFIRM_ABOVE, confirm_runs
from gst.tui.cli.root import COMMAND_ORDER, app
from gst.tui.report.cells import cap, clean, fmt
from gst.tui.report.sweep_data import load_sweep
from gst.tui.report.tables import Col, Fitted, plan_table, rows_table
from tests.tui.fabricate import fabricate

runner = CliRunner()


def gst(*args: str, columns: int = 200, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)}, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def render(table: object, width: int) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_numbers_read_well() -> None:
    assert [fmt(v) for v in (0.001, 2.5e-4, 0.0, 45.678, 3e7, 1234567, 12, None, True)] == [
        "1e-3", "2.5e-4", "0.00", "45.68", "30,000,000", "1,234,567", "12", "-", "true",
    ]  # fmt: skip


def test_markup_emoji_and_control_characters_print_literally() -> None:
    rows = [{"name": "postgres:x:101 [red]alert[/red] :thumbs_up:", "title": "a\x00b\u202ecd\te"}]
    text = render(rows_table(rows, ["name", "title"], title="[bold]t\u202eitle[/bold]"), 120)
    assert "postgres:x:101 [red]alert[/red] :thumbs_up:" in text and "❌" not in text
    assert "ab cd e".replace(" ", "") in text.replace(" ", "") and "\u202e" not in text and "\x00" not in text
    assert "[bold]title[/bold]" in text
    assert clean("ok\u200fyes") == "okyes" and len(cap("x" * 500)) == 120


def test_wide_tables_drop_by_priority_and_keep_ids_whole() -> None:
    rows = [
        {"id": "4e9b1200-n2048_noaug_prune_S-19", "arm": "n2048_noaug_prune_S", "a": 1.5, "b": 2.5, "c": "long label"}
    ]
    cols = [Col("id", keep=True), Col("arm", keep=True), Col("a"), Col("b", drop=1), Col("c", drop=2)]
    narrow, wide = render(rows_table(rows, cols, width=80), 80), render(rows_table(rows, cols, width=120), 120)
    assert "4e9b1200-n2048_noaug_prune_S-19" in narrow and "n2048_noaug_prune_S" in narrow
    assert " c " not in narrow and " b " in narrow and " c " in wide
    assert max(len(line) for line in narrow.splitlines()) <= 80


def test_plan_table_keeps_layer_epochs_and_k_whole_when_narrow() -> None:
    arm = load_preset("fig1").arms[0]
    moments = plan(arm.spec)
    full = render(plan_table(arm.name, moments), 120)
    assert all(h in full for h in ("events", "iterative %", "alive after"))
    for width, gone in ((60, ("events", "iterative %")), (44, ("events", "iterative %", "alive after"))):
        text = render(Fitted(lambda w: plan_table(arm.name, moments, w)), width)
        assert "layer" in text and "k per event" in text and "7, 11, ..., 275" in text and "6/7" in text
        assert not any(h in text for h in gone) and max(len(line) for line in text.splitlines()) <= width


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("out") / "gst.duckdb"
    fabricate(
        db,
        "fig2",
        seeds=2,
        epochs=40,
        overrides=("base.lr_milestones=[]", "base.prune.end_epoch=[20, 20, 20, 30]"),
        sweep_id="frozen",
    )
    return db


@pytest.mark.parametrize("columns", [80, 120])
def test_runs_show_and_summary_snapshots(stored: Path, columns: int) -> None:
    """The tables at 80 and 120 columns, compared with files in tests/tui/cli_snapshots/ (GST_UPDATE_SNAPSHOTS=1 rewrites)."""
    outputs = []
    for args in (("runs",), ("show", "frozen-ebn_L_r40-1"), ("summary", "frozen")):
        code, out, err = gst(*args, "--db", str(stored), columns=columns)
        assert code == 0, err
        outputs.append(out.replace(str(stored), "<db>"))
    text = "\n".join(outputs)
    assert (
        max(
            len(line) for line in text.splitlines() if not line.startswith(("sweep ", "paper:", "instability", "event"))
        )
        <= columns
    )
    assert "frozen-ebn_L_r40-1" in text and "│ 1e-3 │" in text  # lr 0.001, not 0.00
    snapshot = Path(__file__).parent / "cli_snapshots" / f"tables_{columns}.txt"
    if snapshot.exists() and not __import__("os").environ.get("GST_UPDATE_SNAPSHOTS"):
        assert text == snapshot.read_text()
    else:
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(text)


def test_show_summary_and_figure_accept_unique_prefixes(stored: Path, tmp_path: Path) -> None:
    code, out, _ = gst("show", "frozen-ebn_L", "--db", str(stored))
    assert code == 1  # two seeds: ambiguous
    code, out, err = gst("show", "frozen-ebn_L_r40-1", "--db", str(stored))
    assert code == 0 and out.startswith("frozen-ebn_L_r40-1 completed")
    code, out, err = gst("show", "frozen-unp", "--db", str(stored))
    assert code == 1 and "matches several runs" in err
    code, out, err = gst("summary", "fro", "--db", str(stored))
    assert code == 0 and "sweep frozen: Fig 2" in out
    code, out, err = gst("resume", "fro", "--db", str(stored))
    assert code == 0 and "sweep frozen is complete" in out


def test_help_texts() -> None:
    code, out, _ = gst("run", "--help")
    assert "built-in preset" in out and "your own TOML spec file" in out
    code, out, _ = gst("query", "--help", columns=200)
    assert "bn_activations" in out
    code, out, _ = gst("--help", columns=200)
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("│ ") and len(line.split()) > 2]
    assert [c for c in listed if c in COMMAND_ORDER] == list(COMMAND_ORDER)


def test_plan_of_an_unpruned_arm_says_so() -> None:
    code, out, _ = gst("plan", "preset", "smoke", "--arm", "unpruned")
    assert code == 0 and "no pruning" in out and "layer" not in out


def test_export_asks_for_force_before_overwriting(stored: Path, tmp_path: Path) -> None:
    assert gst("export", str(tmp_path), "--db", str(stored), "--format", "csv")[0] == 0
    code, _, err = gst("export", str(tmp_path), "--db", str(stored), "--format", "csv")
    assert code == 1 and "--force" in err
    assert gst("export", str(tmp_path), "--db", str(stored), "--format", "csv", "--force")[0] == 0


def test_many_runs_need_confirmation(tmp_path: Path) -> None:
    confirm_runs(CONFIRM_ABOVE, yes=False, interactive=False)
    confirm_runs(CONFIRM_ABOVE + 1, yes=True, interactive=False)
    with pytest.raises(GstError, match="--yes"):
        confirm_runs(CONFIRM_ABOVE + 1, yes=False, interactive=False)
    spec = tmp_path / "big.toml"
    spec.write_text(
        f'seeds = {list(range(CONFIRM_ABOVE + 1))}\n[base]\nmodel = "conv4"\ndataset = "synthetic"\nexamples_per_class = 16\n'
    )
    code, _, err = gst("run", "spec", str(spec), "--db", str(tmp_path / "gst.duckdb"))
    assert code == 1 and "1,001 runs" in err and "--yes" in err and not (tmp_path / "gst.duckdb").exists()


@pytest.mark.slow
def test_figure_of_a_partial_sweep_draws_what_exists_without_warnings(db: Path, tmp_path: Path) -> None:
    fabricate(
        db,
        "figA3",
        seeds=1,
        epochs=4,
        overrides=("base.prune.start_epoch=[1]", "base.prune.end_epoch=[2]"),
        sweep_id="part",
    )
    with writing(db) as conn:
        conn.execute("DELETE FROM epochs WHERE run_id NOT LIKE 'part-n2048_noaug_%'")
        conn.execute("DELETE FROM prune_events WHERE run_id NOT LIKE 'part-n2048_noaug_%'")
        conn.execute("DELETE FROM prune_layers WHERE run_id NOT LIKE 'part-n2048_noaug_%'")
        conn.execute("DELETE FROM runs WHERE run_id NOT LIKE 'part-n2048_noaug_%'")
    from gst.tui.report import figures

    drawn: list[str] = []
    original = figures.accuracy_curves
    figures.accuracy_curves = lambda ax, s, *a, **k: (drawn.extend(r.arm for r in s.records), original(ax, s, *a, **k))[
        1
    ]  # type: ignore[assignment]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            paths = figures.draw(load_sweep(db, "part"), db, tmp_path / "fig")
    finally:
        figures.accuracy_curves = original  # type: ignore[assignment]
    assert all(p.stat().st_size > 0 for p in paths)
    assert drawn and set(drawn) <= {"n2048_noaug_baseline", "n2048_noaug_prune_S", "n2048_noaug_prune_L"}


def test_query_rows_stay_one_line_at_80_columns(stored: Path) -> None:
    code, out, _ = gst(
        "query", "SELECT run_id, spec_json, 1 AS x, 2 AS x FROM runs LIMIT 2", "--db", str(stored), columns=80
    )
    lines = out.splitlines()
    assert code == 0 and len(lines) == 7 and max(len(line) for line in lines) <= 80
    assert "frozen-" in out and "--csv or --json prints them whole" in lines[-1]
    assert [line.split("│")[-3:-1] for line in lines[3:5]] == [[" 1 ", " 2 "]] * 2  # same-named columns both shown
    code, out, _ = gst("query", "SELECT run_id FROM runs LIMIT 1", "--db", str(stored), columns=80)
    assert "prints them whole" not in out


def test_plan_of_a_noise_arm_says_nothing_is_removed() -> None:
    from rich.console import Console

    from gst.engine.spec.plan import plan
    from gst.engine.spec.preset import load_preset
    from gst.tui.report.tables import plan_table

    arms = {a.name: a for a in load_preset("later_fig5").arms}
    noise = next(a for name, a in arms.items() if a.spec.prune and a.spec.prune.noise and a.spec.prune.noise.temporary)
    console = Console(width=200, record=True)
    console.print(plan_table(noise.name, plan(noise.spec)))
    text = console.export_text()
    assert "removes nothing" in text and "never targeted" in text and "removes 0 of" not in text
