"""Runs browser: every sweep (status, title; interrupted ones resumable) and its runs; the filter searches all sweeps."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input

from gst.store.browse import database_fingerprint, run_list, sweep_list
from gst.tui.app.messages import ResumeRequested, SweepSelected
from gst.tui.app.screens.base import PollingScreen
from gst.tui.report.cells import cap, cell

STATUS_STYLE = {
    "running": "bold green",
    "interrupted": "bold yellow",
    "failed": "bold red",
    "diverged": "bold magenta",
    "completed": "green",
}
SWEEP_HEADERS = ("sweep", "status", "preset", "runs", "done", "title")
RUN_HEADERS = ("run", "status", "epochs", "final %", "best %")


def refill(
    table: DataTable[Text],
    headers: tuple[str, ...],
    rows: list[list[Text]],
    keys: list[str] | None = None,
    fit: int | None = None,
) -> None:
    """Replace the rows, with every column as wide as its widest cell, set in the same step; column `fit` gets
    at most the width the others leave, its cells cut with an ellipsis.

    DataTable sizes auto-width columns on a later idle, so a frame drawn in between showed the new rows in
    header-wide columns ("froze", "comple"); fixed widths make every frame right.
    """
    widths = [max([len(h), *(r[i].cell_len for r in rows)]) for i, h in enumerate(headers)]
    if fit is not None and table.size.width:
        room = table.size.width - sum(w + 2 for i, w in enumerate(widths) if i != fit) - 4  # padding, scrollbar
        widths[fit] = max(len(headers[fit]), min(widths[fit], room))
        for r in rows:
            r[fit].overflow, r[fit].no_wrap = "ellipsis", True
    table.clear(columns=True)
    for header, width in zip(headers, widths, strict=True):
        table.add_column(header, width=width)
    for i, row in enumerate(rows):
        table.add_row(*row, key=keys[i] if keys else None)


class RunsScreen(PollingScreen):
    """Sweeps above, the highlighted sweep's runs below (or, while filtering, matching runs of every sweep)."""

    interval = 3.0
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("enter", "open", "Open"),
        Binding("s", "summary", "Summary"),
        Binding("d", "dashboard", "Dashboard"),
        Binding("u", "resume", "Resume"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sweep_rows: list[dict[str, Any]] = []
        self.run_rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        """Two tables and a hidden filter box."""
        yield Header()
        yield Input(
            placeholder="filter runs of every sweep (arm, status, id)…", id="filter", classes="hidden", disabled=True
        )
        sweeps: DataTable[Text] = DataTable(id="sweeps", cursor_type="row", zebra_stripes=True)
        sweeps.add_columns(*SWEEP_HEADERS)
        yield sweeps
        runs: DataTable[Text] = DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        runs.add_columns(*RUN_HEADERS)
        yield runs
        yield Footer()

    def on_mount(self) -> None:
        """Focus the sweeps, then start polling."""
        self.query_one("#sweeps", DataTable).focus()
        super().on_mount()

    @property
    def filtering(self) -> bool:
        """Whether the filter box is open with text in it."""
        return bool(self.query_one("#filter", Input).value.strip())

    def fingerprint(self) -> tuple[object, ...]:
        """The database's runs and statuses, and which sweep is highlighted and whether a filter is on."""
        return (*database_fingerprint(self.app.db), self.current_sweep(), self.filtering)

    def load(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Sweeps, and the runs of the highlighted sweep (of every sweep while filtering)."""
        db = self.app.db
        sweeps = sweep_list(db)
        if self.filtering:
            return sweeps, run_list(db, None)
        sweep_id = self.current_sweep() or (sweeps[0]["sweep_id"] if sweeps else None)
        return sweeps, run_list(db, sweep_id) if sweep_id else []

    def current_sweep(self) -> str | None:
        """Id of the highlighted sweep."""
        table = self.query_one("#sweeps", DataTable)
        if not self.sweep_rows or table.cursor_row >= len(self.sweep_rows):
            return None
        return str(self.sweep_rows[table.cursor_row]["sweep_id"])

    def show(self, data: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        """Refill the tables, keeping the cursor."""
        sweeps, runs = data
        if sweeps != self.sweep_rows:
            self.sweep_rows = sweeps
            self.fill_sweeps()
        if runs != self.run_rows:
            self.run_rows = runs
            self.fill_runs()

    def fill_sweeps(self) -> None:
        """The sweeps table, the title column fitted to the width (cut with an ellipsis)."""
        table = self.query_one("#sweeps", DataTable)
        cursor = table.cursor_row
        rows = [
            [  # database text is data: cells are literal, cleaned, titles capped
                cell(s["sweep_id"]),
                Text(
                    s["status"] + (" (u resumes)" if s["status"] == "interrupted" else ""),
                    style=STATUS_STYLE.get(s["status"], ""),
                ),
                cell(s["preset"]),
                cell(s["runs"]),
                cell(s["completed"]),
                Text(cap(s["title"] or "")),
            ]
            for s in self.sweep_rows
        ]
        refill(table, SWEEP_HEADERS, rows, fit=len(SWEEP_HEADERS) - 1)
        table.move_cursor(row=min(cursor, max(0, len(self.sweep_rows) - 1)))

    def on_resize(self) -> None:
        """Titles take the new width."""
        if self.sweep_rows:
            self.fill_sweeps()

    def fill_runs(self) -> None:
        """The runs table, filtered by the filter box (matching id, sweep, arm, seed, status or label)."""
        needle = self.query_one("#filter", Input).value.strip().lower()
        table = self.query_one("#runs", DataTable)
        cursor = table.cursor_row
        shown = [
            r
            for r in self.run_rows
            if not needle
            or needle in " ".join(str(r[c]) for c in ("run_id", "sweep_id", "arm", "seed", "status", "label")).lower()
        ]
        rows = [
            [
                cell(r["run_id"]),
                Text(r["status"], style=STATUS_STYLE.get(r["status"], "")),
                cell(f"{r['epochs_done'] or 0}/{r['epochs_total'] or 0}"),
                cell(r["final_test_acc"]),
                cell(r["best_test_acc"]),
            ]
            for r in shown
        ]
        refill(table, RUN_HEADERS, rows, [r["run_id"] for r in shown])
        table.move_cursor(row=min(cursor, max(0, table.row_count - 1)))

    @on(DataTable.RowHighlighted, "#sweeps")
    def sweep_changed(self) -> None:
        """Load the newly highlighted sweep's runs; `d` and `s` follow it."""
        if (sweep_id := self.current_sweep()) is not None:
            self.post_message(SweepSelected(sweep_id))
        self.poll()

    @on(DataTable.RowSelected, "#runs")
    def run_selected(self, event: DataTable.RowSelected) -> None:
        """Enter or click on a run opens it."""
        from gst.tui.app.screens.run_detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(str(event.row_key.value)))

    @on(DataTable.RowSelected, "#sweeps")
    def sweep_selected(self) -> None:
        """Enter or click on a sweep opens its dashboard."""
        self.action_dashboard()

    @on(Input.Changed, "#filter")
    def filter_changed(self) -> None:
        """Reload: a filter searches the runs of every sweep."""
        self.fill_runs()
        self.poll()

    def action_filter(self) -> None:
        """Show and focus the filter box."""
        box = self.query_one("#filter", Input)
        box.disabled = False
        box.remove_class("hidden")
        box.focus()

    def action_back(self) -> None:
        """Close the filter if open, else go back."""
        box = self.query_one("#filter", Input)
        if not box.has_class("hidden"):
            box.value = ""
            box.add_class("hidden")
            box.disabled = True
            self.query_one("#runs", DataTable).focus()
        else:
            self.app.go_back()

    def action_open(self) -> None:
        """Open the highlighted run, or the highlighted sweep's dashboard."""
        from gst.tui.app.screens.run_detail import RunDetailScreen

        runs = self.query_one("#runs", DataTable)
        if runs.has_focus and runs.row_count:
            key = runs.coordinate_to_cell_key(runs.cursor_coordinate).row_key.value
            self.app.push_screen(RunDetailScreen(str(key)))
        else:
            self.action_dashboard()

    def action_dashboard(self) -> None:
        """Live view of the highlighted sweep (the current one while none is highlighted yet)."""
        if (sweep_id := self.current_sweep()) is not None:
            self.post_message(SweepSelected(sweep_id, then="dashboard"))
        else:
            self.app.action_open("dashboard")

    def action_summary(self) -> None:
        """Compare the highlighted sweep's arms (the current one's while none is highlighted yet)."""
        if (sweep_id := self.current_sweep()) is not None:
            self.post_message(SweepSelected(sweep_id, then="summary"))
        else:
            self.app.action_open("summary")

    def action_resume(self) -> None:
        """Resume the highlighted sweep if it has interrupted or failed runs."""
        row = next((s for s in self.sweep_rows if s["sweep_id"] == self.current_sweep()), None)
        if row is None:
            return
        if row["status"] not in ("interrupted", "failed"):
            self.notify(f"sweep {row['sweep_id']} is {row['status']}: nothing to resume", severity="warning")
            return
        self.post_message(ResumeRequested(row["sweep_id"]))
