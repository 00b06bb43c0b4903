"""One run: its spec, curve, per-epoch table and pruning events."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from gst.store import queries
from gst.store.rows import EPOCH_COLUMNS
from gst.tui.render import fmt
from gst.tui.screens.base import PollingScreen
from gst.tui.widgets.curve import CurveStrip


class RunDetailScreen(PollingScreen):
    """Refreshed while the run goes on."""

    interval = 2.0
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        """Run line, curve, epochs and events."""
        yield Header()
        with VerticalScroll():
            yield Static(id="run-info")
            yield CurveStrip("test / train", id="run-curve")
            epochs: DataTable[str] = DataTable(id="run-epochs", zebra_stripes=True)
            epochs.add_columns(*EPOCH_COLUMNS[1:])
            yield epochs
            events: DataTable[str] = DataTable(id="run-events", zebra_stripes=True)
            events.add_columns("epoch", "layers", "before %", "after %", "drop pp")
            yield events
        yield Footer()

    def load(self) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """Run row, epochs and events."""
        db = self.app.db  # type: ignore[attr-defined]
        return queries.run(db, self.run_id), queries.epochs(db, [self.run_id]), queries.prune_events(db, [self.run_id])

    def show(self, data: tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        """Fill everything."""
        run, epochs, events = data
        spec = json.loads(run["spec_json"])
        self.query_one("#run-info", Static).update(
            f"[b]{self.run_id}[/] {run['status']} · {run['label']} · seed {run['seed']} · {spec['model']} on {spec['dataset']} · "
            f"final {fmt(run['final_test_acc'])}% · best {fmt(run['best_test_acc'])}%"
            + (f"\n[red]{run['error']}[/]" if run["error"] else "")
        )
        drops = {e["epoch"]: e["drop_pp"] for e in events}
        marks = {i: drops[e["epoch"]] for i, e in enumerate(epochs) if e["epoch"] in drops}
        self.query_one(CurveStrip).update_curves(
            [e["test_acc"] for e in epochs], [e["train_acc"] for e in epochs], marks, run["status"]
        )
        table = self.query_one("#run-epochs", DataTable)
        table.clear()
        for e in epochs:
            table.add_row(*(fmt(e[c]) for c in EPOCH_COLUMNS[1:]))
        table = self.query_one("#run-events", DataTable)
        table.clear()
        for e in events:
            table.add_row(
                str(e["epoch"]), e["layers"] or "", fmt(e["acc_before"]), fmt(e["acc_after"]), fmt(e["drop_pp"])
            )
