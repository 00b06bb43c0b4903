"""The TUI's pure parts: sparklines, chart ticks and bands, zoom windows, ETA, preset writing."""

from __future__ import annotations

from rich.color import ColorSystem, ColorType
from rich.console import Console
from rich.style import Style
from rich.text import Text

from gst.engine.spec.preset import load_preset, parse_preset
from gst.engine.spec.preset_writer import arms_toml
from gst.tui.app.live import RunLive, SweepLive
from gst.tui.app.screens.presets import unwrap
from gst.tui.app.screens.run_detail import lr_text, zoomed
from gst.tui.app.widgets.accuracy_chart import epoch_ticks, mean_band
from gst.tui.app.widgets.curve import BLOCKS, sparkline, value_range
from gst.tui.app.widgets.drops import DROP_CLASSES, drop_class, drop_legend, drop_style


def test_sparkline_is_scaled_to_the_run_and_fills_the_width() -> None:
    values = [88.0, 88.5, 89.0, 89.2, 89.1]  # a 1.2 pp range: on a 0-100 scale all one level
    line = sparkline(values, 40, *value_range(values))
    assert len(line.plain) == 40  # stretched over the whole width, not 5 cells
    assert line.plain[0] == BLOCKS[0] and line.plain[-1] != BLOCKS[0] and BLOCKS[-1] in line.plain


def test_every_pruning_moment_is_marked_by_its_class_however_small_or_negative() -> None:
    values = [50.0 + i for i in range(300)]
    marks = {10: 0.02, 100: 0.5, 150: -0.3, 290: 4.0}  # the paper's 0.02 pp regime, a middle drop, a gain, a big one
    line = sparkline(values, 60, *value_range(values), marks=marks)
    assert [line.plain[i // 5] for i in sorted(marks)] == ["·", "▽", "▲", "▼"]  # 300 epochs on 60 columns
    styles = [str(span.style) for span in line.spans]
    assert all(styles.count(drop_style(d)) == 1 for d in marks.values())


def test_drop_classes_differ_in_truecolor_256_and_16_colours_and_by_glyph() -> None:
    assert [drop_class(d).name for d in (4.0, 1.0, 0.5, 0.2, 0.02, 0.0, -0.3)] == [
        "≥1 pp", "≥1 pp", "≥0.2", "≥0.2", "<0.2", "<0.2", "gain"
    ]  # fmt: skip
    assert [drop_style(d) for d in (4.0, 0.5, 0.02, -0.3)] == [
        "bold #ff3030", "bold #ffd700", "bold #00d7ff", "bold #d75fff"
    ]  # fmt: skip
    colours = [Style.parse(c.style).color for c in DROP_CLASSES]
    # explicit colours: Textual's default terminal theme paints the named red and magenta alike (#f4005f)
    assert all(c is not None and c.type == ColorType.TRUECOLOR for c in colours)
    for system in (ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT, ColorSystem.STANDARD, ColorSystem.WINDOWS):
        assert len({c.downgrade(system) for c in colours if c is not None}) == 4, system
    sgr = {}
    for c in DROP_CLASSES:  # what a 16-colour terminal receives
        console = Console(color_system="standard", force_terminal=True, width=20)
        with console.capture() as out:
            console.print(Text(c.glyph, style=c.style), end="")
        sgr[c.name] = out.get()
    assert len(set(sgr.values())) == 4 and sgr["≥1 pp"] == "\x1b[1;91m▼\x1b[0m"
    assert len({c.glyph for c in DROP_CLASSES}) == 4  # told apart without colour too
    assert drop_legend().plain == "prune drop: ▼ ≥1 pp ▽ ≥0.2 · <0.2 ▲ gain"


def test_epoch_ticks_are_round_integers() -> None:
    assert epoch_ticks(1, 325, 8) == [50.0, 100.0, 150.0, 200.0, 250.0, 300.0]
    assert epoch_ticks(1, 5, 8) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert all(t == int(t) for t in epoch_ticks(3, 47, 6))


def test_mean_band_over_common_epochs() -> None:
    epochs, mean, low, high = mean_band([([1, 2, 3], [10.0, 20.0, 30.0]), ([1, 2], [12.0, 22.0])])
    assert epochs == [1.0, 2.0] and mean == [11.0, 21.0]
    assert low[0] < 11.0 < high[0] and abs((high[0] - low[0]) / 2 - 2**0.5) < 1e-9


def test_zoom_window_stays_inside_the_run() -> None:
    assert zoomed((1, 101), (1, 101), 0.5, 0) == (26, 76)
    assert zoomed((26, 76), (1, 101), 1, 1.0) == (51, 101)  # moved right, clamped at the last epoch
    assert zoomed((1, 11), (1, 101), 0.01, 0) == (5, 7)  # never narrower than 2 epochs


def test_lr_and_descriptions_are_readable() -> None:
    assert (
        lr_text(1e-3) == "1e-3"
        and lr_text(1e-4) == "1e-4"
        and lr_text(1.5e-4) == "1.5e-4"
        and lr_text(0.1) == "0.1"
        and lr_text(None) == "-"
    )
    assert unwrap("one\ntwo  three\n\nnext\npara\n") == "one two three\n\nnext para"


def run_live(status: str, done: int, total: int, seconds: float) -> RunLive:
    return RunLive(
        run_id=f"r{status}{done}", arm="a", seed=0, status=status, epochs_total=total,
        epochs=list(range(1, done + 1)), seconds=[seconds] * done,
    )  # fmt: skip


def test_eta_divides_by_the_runs_training_at_once_and_vanishes_when_idle() -> None:
    runs = [run_live("running", 5, 10, 2.0), run_live("running", 5, 10, 2.0), run_live("queued", 0, 10, 0.0)]
    live = SweepLive(sweep_id="s", preset="p", title="", runs=runs, events=[])
    assert live.eta_seconds == (5 + 5 + 10) * 2.0 / 2  # two workers (or a stack of two seeds) at once
    idle = SweepLive(sweep_id="s", preset="p", title="", runs=[run_live("interrupted", 5, 10, 2.0)], events=[])
    assert idle.eta_seconds is None


def test_arms_toml_round_trips_several_arms() -> None:
    smoke = load_preset("smoke")
    text = arms_toml([(a.name, a.spec) for a in smoke.arms], seeds=(0, 3), title="three arms")
    back = parse_preset(text, name="x")
    assert [(a.name, a.spec) for a in back.arms] == [(a.name, a.spec) for a in smoke.arms]
    assert back.seeds == (0, 3) and back.title == "three arms"
