"""Rich tables for the CLI: plans, run lists, run details, sweep summaries."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from gst.engine.spec.plan import Plan, PlannedEvent
from gst.tui.report.cells import TITLE_CHARS, cap, cell


def fmt(value: Any, digits: int = 2) -> str:
    """Numbers rounded, None as a dash (the TUI's cells; the CLI's are `cells.fmt`)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def title_text(title: str, limit: int = TITLE_CHARS) -> Text:
    """A table title printed literally, cleaned and capped, in Rich's title style."""
    return Text(cap(title, limit), style="table.title")


def sweep_heading(row: dict[str, Any], notes: Sequence[str] = ()) -> str:
    """'sweep ID: TITLE [--set ...; NOTES]' from a sweeps row: the preset's title (its name, a spec file's stem,
    only when it has none), then what ran differently from it: the stored --set overrides and `notes`."""
    title = cap((row.get("title") or "").strip())
    head = f"sweep {row['sweep_id']}: {title}" if title else f"sweep {row['sweep_id']} ({row.get('preset') or '?'})"
    told = [*override_notes(row), *notes]
    return head + (f" [{cap('; '.join(told), NOTE_CHARS)}]" if told else "")


NOTE_CHARS = 400  # the notes after a title: long enough for every override of a sweep, and still bounded
HEADING_CHARS = TITLE_CHARS + NOTE_CHARS + 4


def override_notes(row: dict[str, Any]) -> list[str]:
    """The sweep's stored --set items as one note ('--set base.dataset="cifar10", base.epochs=2'), or none."""
    try:
        items = json.loads(row.get("overrides") or "[]")
    except (TypeError, ValueError):
        items = []
    return [f"--set {', '.join(str(i) for i in items)}"] if items else []


@dataclass(frozen=True, slots=True)
class Col:
    """A column of a CLI table: `keep` columns (ids, arm, status) are never cut; `drop` > 0 may go, highest first."""

    key: str
    header: str = ""
    keep: bool = False
    drop: int = 0
    justify: JustifyMethod | None = None  # left or right; None: right for numbers, left otherwise

    @property
    def label(self) -> str:
        return self.header or self.key


def _natural_width(col: Col, texts: list[Text]) -> int:
    return max([cell_len(col.label), *(t.cell_len for t in texts)])


def fit_columns(cols: list[Col], texts: dict[str, list[Text]], width: int | None) -> list[Col]:
    """The columns that fit in `width` at their natural width, dropping droppable ones by priority."""
    shown = list(cols)
    if width is None:
        return shown
    for victim in sorted((c for c in cols if c.drop > 0), key=lambda c: -c.drop):
        if table_width(shown, texts) <= width:
            break
        shown.remove(victim)
    return shown


def table_width(cols: list[Col], texts: dict[str, list[Text]]) -> int:
    """Characters a table of these columns takes at natural width (cells, padding and rules)."""
    return sum(_natural_width(c, texts[c.key]) + 3 for c in cols) + 1


def share_widths(natural: list[int], room: int) -> list[int]:
    """Column widths within `room`: narrow columns keep their width, wide ones share what is left equally."""
    widths = [0] * len(natural)
    left = list(range(len(natural)))
    while left:
        share = max(room // len(left), 3)
        narrow = [i for i in left if natural[i] <= share]
        if not narrow:
            for i in left:
                widths[i] = share
            break
        for i in narrow:
            widths[i] = natural[i]
            room -= natural[i]
        left = [i for i in left if i not in narrow]
    return widths


def _is_number(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)


def rows_table(
    rows: list[dict[str, Any]],
    columns: Sequence[str | Col],
    title: str = "",
    width: int | None = None,
    cut_note: str = "",
    title_limit: int = TITLE_CHARS,
) -> Table:
    """A table of dict rows: cells printed literally, numbers right-aligned, fitted to `width` if given.

    With `cut_note`, every row stays one line: cells that do not fit end in an ellipsis and the
    note is printed under the table.
    """
    cols = [c if isinstance(c, Col) else Col(c) for c in columns]
    texts = {c.key: [cell(row.get(c.key)) for row in rows] for c in cols}
    shown = fit_columns(cols, texts, width)
    cut = bool(cut_note) and width is not None and table_width(shown, texts) > width
    table = Table(
        title=title_text(title, title_limit) if title else None,
        title_justify="left",
        caption=Text(cut_note, style="dim") if cut else None,
        caption_justify="left",
    )
    room = (width or 0) - 3 * len(shown) - 1
    shares = share_widths([_natural_width(c, texts[c.key]) for c in shown], room) if cut else []
    for i, c in enumerate(shown):
        numeric = _is_number([row.get(c.key) for row in rows])
        table.add_column(
            Text(c.label),
            justify=c.justify or ("right" if numeric else "left"),
            no_wrap=c.keep or numeric or cut,
            overflow="ellipsis",
            width=shares[i] if cut else None,
            min_width=_natural_width(c, texts[c.key]) if c.keep else None,
        )
    for i in range(len(rows)):
        table.add_row(*(texts[c.key][i] for c in shown))
    return table


SUMMARY_COLUMNS = [
    Col("arm", keep=True), Col("n", keep=True), Col("final_test_acc", "final %"), Col("final_test_sd", "sd", drop=2),
    Col("best_test_acc", "best %", drop=3), Col("mean_drop_pp", "drop pp"), Col("events_per_run", "events", drop=1),
    Col("gap", "gap pp", drop=4),
]  # fmt: skip


def summary_table(rows: list[dict[str, Any]], title: str, width: int | None = None) -> Table:
    """Per-arm results of a sweep (the end of `gst run`), fitted to `width`."""
    return rows_table(rows, list(SUMMARY_COLUMNS), title=title, width=width, title_limit=HEADING_CHARS)


PLAN_COLUMNS = [
    Col("layer", keep=True), Col("events", drop=3, justify="right"), Col("epochs", keep=True),
    Col("k", "k per event", keep=True, justify="right"), Col("iterative", "iterative %", drop=2, justify="right"),
    Col("alive", "alive after", drop=1, justify="right"),
]  # fmt: skip


def plan_table(arm: str, plan: Plan, width: int | None = None) -> Table | Text:
    """Events per layer, k per event, iterative % and the parameters removed (one line for an unpruned arm).

    Fitted to `width` if given: layer, epochs and k stay whole; alive after, iterative % and the event
    count go, in that order, when they do not fit.
    """
    if not plan.moments:
        return Text(f"{cap(arm)}: no pruning (all {plan.params_total:,} parameters kept)")
    title = f"{arm}: removes {plan.params_removed:,} of {plan.params_total:,} parameters ({plan.percent_removed:.2f}%), {len(plan.moments)} pruning moments"
    columns = list(PLAN_COLUMNS)
    if plan.temporary:  # noise: the schedule picks targets, nothing is removed
        title = f"{arm}: noise on scheduled targets, removes nothing ({plan.params_total:,} parameters kept), {len(plan.moments)} noise events"
        columns = [Col("alive", "never targeted", drop=1, justify="right") if c.key == "alive" else c for c in columns]
    if any(e.window for events in plan.layers.values() for e in events):
        columns.insert(4, Col("window", "window train+test", keep=True, justify="right"))
    rows: list[dict[str, Any]] = []
    for name, events in plan.layers.items():
        if not events:
            rows.append({"layer": name, "events": "0", "alive": str(plan.layer_units[name])})
            continue
        ks = sorted({e.k for e in events})
        pcts = [e.percent_of_layer for e in events]
        epochs = (
            ", ".join(str(e.epoch) for e in events)
            if len(events) <= 8
            else f"{events[0].epoch}, {events[1].epoch}, ..., {events[-1].epoch}"
        )
        rows.append(
            {
                "layer": name, "events": str(len(events)), "epochs": epochs,
                "k": "/".join(map(str, ks)) if len(ks) <= 3 else f"{ks[0]}-{ks[-1]}",
                "iterative": f"{sum(pcts) / len(pcts):.2f}", "alive": f"{events[-1].alive:,}",
                "window": window_text(events),
            }
        )  # fmt: skip
    return rows_table(rows, columns, title=title, width=width, title_limit=200)


def window_text(events: list[PlannedEvent]) -> str:
    """The noise windows of a layer's events as 'train+test', equal ones once with their count ('1106+395 ×4');
    '(cut)' marks a window a later event or the end of the run cuts short."""
    texts = [
        f"{e.window.train_forwards}+{e.window.eval_forwards}{'' if e.window.complete else ' (cut)'}"
        for e in events
        if e.window is not None
    ]
    groups: list[tuple[str, int]] = []
    for text in texts:
        if groups and groups[-1][0] == text:
            groups[-1] = (text, groups[-1][1] + 1)
        else:
            groups.append((text, 1))
    return ", ".join(text if n == 1 else f"{text} ×{n}" for text, n in groups)


class Fitted:
    """A renderable made for the width it is given: a table in a pane that drops columns as the pane narrows."""

    def __init__(self, make: Callable[[int], RenderableType]) -> None:
        self.make = make

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.make(options.max_width)
