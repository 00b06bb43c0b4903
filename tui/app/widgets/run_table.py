"""The run table (k9s / W&B runs table): one row per run, sortable by any column, filterable, runs marked with space.

Rows are plain values (`RunRow`); the table owns only how they are shown: order, filter, marks and a sparkline
column that takes whatever width the other columns leave.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from gst.tui.app.widgets.curve import sparkline, value_range
from gst.tui.report.cells import clean, fmt

STATUS_GLYPH = {"completed": "✓", "running": "▶", "queued": "…", "failed": "✗", "interrupted": "⏸", "diverged": "↯"}
STATUS_STYLE = {
    "running": "bold green", "interrupted": "bold yellow", "failed": "bold red", "diverged": "bold magenta", "completed": "green"
}  # fmt: skip
INSTABILITY_HEADERS = {"mean_drop": "drop", "a2_drop": "last", "mean_stability": "stab"}
MARK = "●"
ARM_CHARS = 16  # longer arm names are cut with an ellipsis
MIN_CURVE = 6


@dataclass(frozen=True)
class RunRow:
    """What the table shows of one run; `order` is its place in the preset's arm and seed order."""

    run_id: str
    arm: str
    seed: int
    status: str
    epochs_done: int
    epochs_total: int
    final: float | None
    best: float | None
    instability: float | None
    gap: float | None
    order: int = 0
    test: list[float] = field(default_factory=list)
    train: list[float] = field(default_factory=list)
    marks: dict[int, float] = field(default_factory=dict)  # curve index -> drop (pp)


def ellipsis(text: str, width: int) -> str:
    """`text` cleaned and cut to `width` characters, the last one `…` when cut."""
    text = clean(text)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _missing(value: Any) -> bool:
    """No value to sort by (a run without pruning has no drop): such rows go last in either direction."""
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class Column:
    """A column: its header, fixed width (0: the curve, which takes the room left) and sort key."""

    name: str
    width: int
    key: Callable[[RunRow], Any]
    right: bool = False


class RunTable(DataTable[Text]):
    """`1`…`9`, `0` (or a click on a header) sort by that column, again to reverse; space marks; Enter opens."""

    BINDINGS = [
        Binding("space", "mark", "Mark run"),
        *(Binding(str(n % 10), f"sort({n - 1})", f"Sort by column {n}", show=False) for n in range(1, 11)),
    ]

    class MarksChanged(Message):
        """The set of marked runs changed."""

        def __init__(self, table: RunTable, marked: frozenset[str]) -> None:
            super().__init__()
            self.table, self.marked = table, marked

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.runs: list[RunRow] = []
        self.shown: list[RunRow] = []
        self.marked: set[str] = set()
        self.needle = ""
        self.sort_index: int | None = None  # None: the preset's order
        self.reverse = False
        self.curve = "test"
        self.instability_header = "drop"

    def columns_spec(self) -> list[Column]:
        """Every column in order; the curve's sort key is the last value of its curve."""
        curve = self.curve
        return [
            Column(" ", 1, lambda r: r.run_id not in self.marked),
            Column("arm", max([3, *(min(ARM_CHARS, len(r.arm)) for r in self.runs)]), lambda r: r.order),
            Column("seed", 4, lambda r: r.seed, right=True),
            Column("st", 2, lambda r: r.status),
            Column(
                "epochs",
                max([6, *(len(f"{r.epochs_done}/{r.epochs_total}") for r in self.runs)]),
                lambda r: r.epochs_done,
                right=True,
            ),  # fmt: skip
            Column(curve, 0, lambda r: (r.test if curve == "test" else r.train)[-1:] or None),
            Column("final", 6, lambda r: r.final, right=True),
            Column("best", 6, lambda r: r.best, right=True),
            Column(self.instability_header, 6, lambda r: r.instability, right=True),
            Column("gap", 6, lambda r: r.gap, right=True),
        ]

    def set_runs(self, runs: list[RunRow], instability: str = "mean_drop") -> None:
        """New data; redrawn only when something changed."""
        header = INSTABILITY_HEADERS.get(instability, "drop")
        if runs != self.runs or header != self.instability_header:
            self.runs, self.instability_header = runs, header
            self.marked &= {r.run_id for r in runs}
            self.refill()

    def set_filter(self, needle: str) -> None:
        """Show only runs whose arm, seed, status or id contains `needle` (case-insensitive)."""
        self.needle = needle.strip().lower()
        self.refill()

    def set_curve(self, curve: str) -> None:
        """Which sparkline the curve column shows: test or train."""
        self.curve = curve
        self.refill()

    @property
    def cursor_run(self) -> str | None:
        """Id of the run under the cursor."""
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row].run_id

    def ordered_runs(self) -> list[RunRow]:
        """The rows after filter and sort."""
        runs = [
            r for r in self.runs
            if not self.needle or self.needle in f"{r.arm} {r.seed} {r.status} {r.run_id}".lower()
        ]  # fmt: skip
        if self.sort_index is None:
            return sorted(runs, key=lambda r: r.order)
        key = self.columns_spec()[self.sort_index].key
        ordered = sorted(runs, key=lambda r: r.order)
        known = [r for r in ordered if not _missing(key(r))]
        return sorted(known, key=key, reverse=self.reverse) + [r for r in ordered if _missing(key(r))]

    def refill(self) -> None:
        """Rebuild rows and columns in one step (fixed widths: no frame with header-wide columns), keeping the
        cursor on the same run."""
        keep = self.cursor_run
        self.shown = self.ordered_runs()
        spec = self.columns_spec()
        fixed = sum(c.width + 2 for c in spec if c.width) + 2  # cell padding 1 per side, room for a scrollbar
        curve_width = max(MIN_CURVE, self.size.width - fixed) if self.size.width else MIN_CURVE
        self.clear(columns=True)
        for i, column in enumerate(spec):
            label = column.name
            if i == self.sort_index:
                label += "▼" if self.reverse else "▲"
            self.add_column(Text(label, justify="right" if column.right else "left"), width=column.width or curve_width)
        for r in self.shown:
            self.add_row(*self.cells(r, curve_width), key=r.run_id)
        if keep is not None and keep in {r.run_id for r in self.shown}:
            self.move_cursor(row=[r.run_id for r in self.shown].index(keep), animate=False)

    def cells(self, r: RunRow, curve_width: int) -> list[Text]:
        """One row's cells: literal text (arm names come from users' files)."""
        values = r.test if self.curve == "test" else r.train
        line = Text("waiting", style="dim")
        if values:
            marks = r.marks if self.curve == "test" else None
            line = sparkline(
                values, curve_width, *value_range(values), marks, "green" if self.curve == "test" else "blue"
            )
        return [
            Text(MARK if r.run_id in self.marked else " ", style="bold #ffd700"),
            Text(clean(r.arm), overflow="ellipsis", no_wrap=True),
            Text(str(r.seed), justify="right"),
            Text(STATUS_GLYPH.get(r.status, "?"), style=STATUS_STYLE.get(r.status, "")),
            Text(f"{r.epochs_done}/{r.epochs_total}", justify="right"),
            line,
            *(Text(fmt(v), justify="right") for v in (r.final, r.best, r.instability, r.gap)),
        ]

    def action_mark(self) -> None:
        """Mark or unmark the run under the cursor, then move down (as a file manager does)."""
        run_id = self.cursor_run
        if run_id is None:
            return
        self.marked ^= {run_id}
        row = self.cursor_row
        self.update_cell_at(Coordinate(row, 0), Text(MARK if run_id in self.marked else " ", style="bold #ffd700"))
        self.move_cursor(row=min(row + 1, len(self.shown) - 1))
        self.post_message(self.MarksChanged(self, frozenset(self.marked)))

    def action_sort(self, index: int) -> None:
        """Sort by a column; the same column again reverses the order."""
        if index >= len(self.columns_spec()):
            return
        self.reverse = not self.reverse if index == self.sort_index else False
        self.sort_index = index
        self.refill()

    @on(DataTable.HeaderSelected)
    def header_clicked(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by that column."""
        event.stop()
        self.action_sort(event.column_index)

    def on_resize(self, event: Resize) -> None:
        """The curve column takes the new width."""
        if self.runs:
            self.refill()
