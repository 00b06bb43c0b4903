"""One run in focus: its chart with epoch-range zoom, spec and pruning plan, per-epoch table and pruning events."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from gst.engine.spec.errors import GstError
from gst.engine.spec.plan import plan
from gst.engine.spec.specs import spec_from_dict
from gst.store import queries
from gst.store.browse import run_fingerprint
from gst.tui.app.screens.base import PollingScreen
from gst.tui.app.widgets.accuracy_chart import AccuracyChart, Series, readout
from gst.tui.app.widgets.drops import drop_legend, drop_text
from gst.tui.report.cells import cap, cell, clean
from gst.tui.report.tables import Fitted, fmt, plan_table

EPOCH_COLUMNS = ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "pre_prune_test_acc", "seconds")
EPOCH_HEADERS = ("epoch", "prune", "lr", "train loss", "train %", "test loss", "test %", "before prune %", "s")

RunData = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]


def lr_text(lr: float | None) -> str:
    """1e-3 or 1.5e-4 rather than 0.00; 0.1 as it is."""
    if lr is None:
        return "-"
    if lr == 0 or lr >= 0.01:
        return f"{lr:.3g}"
    mantissa, exponent = f"{lr:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def zoomed(window: tuple[float, float], full: tuple[float, float], factor: float, shift: float) -> tuple[float, float]:
    """The epoch window scaled by `factor` around its centre and moved by `shift` of its width, kept inside `full`."""
    width = max(2.0, min(full[1] - full[0], (window[1] - window[0]) * factor))
    centre = (window[0] + window[1]) / 2 + shift * width
    low = min(max(full[0], centre - width / 2), full[1] - width)
    return max(full[0], low), min(full[1], max(full[0], low) + width)


def run_info(run_id: str, run: dict[str, Any], spec: dict[str, Any], window: str) -> Text:
    """The run line, the chart's legend, and the run's note and error: database text shown literally."""

    def literal(value: Any) -> str:
        return cap(str(value if value is not None else "-"))

    text = Text.assemble(
        (literal(run_id), "bold"),
        f" {literal(run['status'])} · {literal(run['label'])} · seed {run['seed']} · {literal(spec.get('model'))} on "
        f"{literal(spec.get('dataset'))} · final {fmt(run['final_test_acc'])}% · best {fmt(run['best_test_acc'])}%\n",
        ("━ test", "green"), " ", ("━ train", "blue"), " ", drop_legend(""), f" · {window}",
    )  # fmt: skip
    if run.get("note"):
        text.append(f"\nnote: {clean(run['note'])}", style="yellow")
    if run.get("error"):
        text.append(f"\n{clean(run['error'])}", style="red")
    return text


class RunDetailScreen(PollingScreen):
    """Refreshed while the run goes on; `+`/`-` zoom into the epochs, `[`/`]` move, `0` shows all; ←/→ (or a
    click) move the epoch cursor, which the epoch table follows."""

    interval = 2.0
    BINDINGS = [
        Binding("plus,equals_sign", "zoom(0.5, 0)", "Zoom in"),
        Binding("minus", "zoom(2, 0)", "Zoom out"),
        Binding("left_square_bracket", "zoom(1, -0.25)", "Earlier"),
        Binding("right_square_bracket", "zoom(1, 0.25)", "Later"),
        Binding("0", "zoom(0, 0)", "All epochs"),
        Binding("left", "cursor(-1)", "Epoch ←", priority=True),
        Binding("right", "cursor(1)", "Epoch →", priority=True),
        Binding("shift+left", "cursor(-10)", "10 epochs ←", show=False, priority=True),
        Binding("shift+right", "cursor(10)", "10 epochs →", show=False, priority=True),
        Binding("escape", "app.back", "Back"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.window: tuple[float, float] | None = None
        self.data: RunData | None = None

    def compose(self) -> ComposeResult:
        """Run line, chart, plan, epochs and events."""
        yield Header()
        with VerticalScroll():
            yield Static(Text(f"run {self.run_id}: reading…"), id="run-info")
            yield AccuracyChart(id="run-chart")
            yield Static(id="run-readout")
            epochs: DataTable[Text] = DataTable(id="run-epochs", zebra_stripes=True)
            epochs.add_columns(*EPOCH_HEADERS)
            yield epochs
            events: DataTable[Text] = DataTable(id="run-events", zebra_stripes=True)
            events.add_columns("epoch", "layers", "before %", "after %", "drop pp")
            yield events
            yield Static(id="run-plan")
        yield Footer()

    def fingerprint(self) -> tuple[object, ...]:
        """Status and epochs done of the run."""
        return run_fingerprint(self.app.db, self.run_id)

    def load(self) -> RunData:
        """Run row, epochs and events."""
        db = self.app.db
        return queries.run(db, self.run_id), queries.epochs(db, [self.run_id]), queries.prune_events(db, [self.run_id])

    def failed(self, message: str) -> None:
        """Where the run line would be."""
        self.query_one("#run-info", Static).update(Text(message, style="red"))

    def show(self, data: RunData) -> None:
        """Fill everything (the tables only when the rows changed)."""
        changed = self.data is None or data[1:] != self.data[1:]
        self.data = data
        run, epochs, events = data
        spec = json.loads(run["spec_json"])
        window = "all epochs" if self.window is None else f"epochs {self.window[0]:.0f}-{self.window[1]:.0f}"
        self.query_one("#run-info", Static).update(run_info(self.run_id, run, spec, window))
        self.draw_chart()
        if not changed:
            return
        drops = {e["epoch"]: e["drop_pp"] for e in events}
        table = self.query_one("#run-epochs", DataTable)
        table.clear()
        for e in epochs:
            drop = drops.get(e["epoch"])
            flag = Text("") if drop is None else Text("✂ ").append_text(drop_text(drop))
            cells = [Text(fmt(e[c]) if c != "lr" else lr_text(e[c])) for c in EPOCH_COLUMNS]
            table.add_row(cells[0], flag, *cells[1:])
        table = self.query_one("#run-events", DataTable)
        table.clear()
        for e in events:
            table.add_row(
                cell(e["epoch"]),
                cell(e["layers"] or ""),
                cell(e["acc_before"]),
                cell(e["acc_after"]),
                cell(e["drop_pp"]),
            )
        try:
            run_spec = spec_from_dict(spec, f"run {self.run_id}")
            moments = plan(run_spec)
            self.query_one("#run-plan", Static).update(
                Group(
                    Text(clean(f"spec: {json.dumps(spec, separators=(', ', ': '))}"), style="dim"),
                    Fitted(lambda width: plan_table(run_spec.label, moments, width)),
                )
            )
        except GstError as exc:
            self.query_one("#run-plan", Static).update(Text(str(exc), style="red"))

    def draw_chart(self) -> None:
        """Test and train curves, pruning moments at the accuracy right after them."""
        if self.data is None:
            return
        _, epochs, events = self.data
        xs = [float(e["epoch"]) for e in epochs]
        marks = [(float(e["epoch"]), e["acc_after"], e["drop_pp"]) for e in events]
        test, train = [e["test_acc"] for e in epochs], [e["train_acc"] for e in epochs]
        moments = {float(e["epoch"]): (e["acc_before"], e["acc_after"]) for e in events}
        series = [
            Series("train", xs, train, "blue", band=True),  # read out on the test line's row
            Series("this run", xs, test, "green", marks, test, train, moments),
        ]
        self.query_one(AccuracyChart).draw(series, self.window, y_label="%")
        self.show_readout()

    def show_readout(self) -> None:
        """Test and train at the cursor's epoch and its pruning moment, if any; hidden until the cursor is used."""
        chart = self.query_one(AccuracyChart)
        box = self.query_one("#run-readout", Static)
        box.update(readout(chart.series, chart.cursor) if chart.cursor is not None else "")
        box.display = chart.cursor is not None

    @on(AccuracyChart.CursorMoved)
    def cursor_moved(self, event: AccuracyChart.CursorMoved) -> None:
        """Read out the epoch and put the epoch table's cursor on its row."""
        self.show_readout()
        if self.data is not None:
            rows = [float(e["epoch"]) for e in self.data[1]]
            if event.epoch in rows:
                self.query_one("#run-epochs", DataTable).move_cursor(row=rows.index(event.epoch), scroll=False)

    def action_cursor(self, step: int) -> None:
        """Move the epoch cursor."""
        self.query_one(AccuracyChart).move_cursor(step)

    def action_zoom(self, factor: float, shift: float) -> None:
        """Change the epoch window (factor 0: all epochs)."""
        if self.data is None or not self.data[1]:
            return
        full = (float(self.data[1][0]["epoch"]), float(self.data[1][-1]["epoch"]))
        if factor == 0 or full[1] - full[0] < 2:
            self.window = None
        else:
            self.window = zoomed(self.window or full, full, factor, shift)
            if self.window == full:
                self.window = None
        self.show(self.data)
