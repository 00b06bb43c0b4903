"""SQL over the same DuckDB file, as Harlequin offers it: an editor with highlighting, the schema, a history
kept across sessions, results at full precision, export to CSV or Parquet. Every query runs in the read-only
sandbox `gst query` uses (`gst.store.sandbox`); only an export writes, and only the file the user named."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, OptionList, Static, TabbedContent, TabPane, TextArea, Tree
from textual.widgets.option_list import Option

from gst.engine.spec.errors import GstError
from gst.store import queries
from gst.store.query_export import export_format, export_query
from gst.tui.app import query_history
from gst.tui.app.screens.base import GstScreen
from gst.tui.app.screens.confirm import ConfirmScreen
from gst.tui.app.screens.path_prompt import PathScreen
from gst.tui.report.cells import clean, exact

MAX_ROWS = 1000
EXAMPLE = "SELECT arm, count(*) AS runs, avg(final_test_acc) AS final\nFROM runs\nGROUP BY arm\nORDER BY arm"
WIDE = 100  # from this many columns the schema and history stay beside the editor
clock = time.perf_counter  # how long a query took (snapshot tests stop it)


def value_cell(value: Any) -> Text:
    """A result cell: full precision, literal (`[red]` stays text and `:x:` no emoji)."""
    return Text(exact(value))


def history_label(entry: query_history.Entry, width: int = 60) -> Text:
    """One line of the history list: the query's text on one line, then how it went."""
    one_line = clean(" ".join(entry.sql.split()))
    text = Text(one_line if len(one_line) <= width else one_line[: width - 1] + "…")
    text.append(f"  {entry.at[5:16]}", style="dim")
    text.append(" ✗" if entry.error else f" {entry.rows} rows", style="red" if entry.error else "dim")
    return text


class QueryScreen(GstScreen):
    """Ctrl+R runs the editor's text (or its selection); the last result, or the last error, fills the pane."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+r,ctrl+j", "run", "Run"),
        Binding("ctrl+t", "side('tables')", "Tables"),
        Binding("ctrl+o", "side('history')", "History"),
        Binding("ctrl+s", "export", "Export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last_sql = ""  # the query whose rows are shown ('' after an error: nothing to export)
        self.export_to = str(Path.cwd() / "query.csv")
        self.entries: list[query_history.Entry] = []

    def compose(self) -> ComposeResult:
        """Schema and history on the left, editor, status and results on the right."""
        yield Header()
        with Horizontal(id="sql-body"):
            with TabbedContent(id="sql-side", initial="tables"):
                with TabPane("Tables", id="tables"):
                    tree: Tree[str] = Tree("tables", id="sql-schema")
                    tree.show_root = False
                    tree.auto_expand = False
                    yield tree
                with TabPane("History", id="history"):
                    yield OptionList(id="sql-history")
            with Vertical(id="sql-main"):
                yield TextArea(EXAMPLE, language="sql", theme="monokai", id="sql", soft_wrap=True)
                yield Static(
                    "ctrl+r runs (read-only) · ctrl+t tables · ctrl+o history · ctrl+s exports the result",
                    id="sql-status",
                )
                yield DataTable(id="sql-result", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """The newest query from the history in the editor, the schema and history loaded, the editor focused."""
        self.entries = query_history.load(self.app.db)
        if self.entries:
            self.query_one("#sql", TextArea).text = self.entries[0].sql
        self.show_history()
        self.query_one("#sql", TextArea).focus()
        self.load_schema()

    def on_resize(self) -> None:
        """Schema and history beside the editor on wide terminals; on narrow ones only while asked for."""
        self.query_one("#sql-side").set_class(self.size.width >= WIDE, "wide")

    # -- running -----------------------------------------------------------

    def action_run(self) -> None:
        """Run the selection, or the whole editor, in a thread."""
        editor = self.query_one("#sql", TextArea)
        sql = (editor.selected_text or editor.text).strip()
        self.query_one("#sql-status", Static).update("running…")
        self.execute(sql)

    @work(thread=True, exclusive=True, group="sql", exit_on_error=False)
    def execute(self, sql: str) -> None:
        """Read-only query off the UI thread; the answer (rows or error) goes to the history and the pane."""
        began = clock()
        try:
            columns, rows = queries.query(self.app.db, sql, limit=MAX_ROWS + 1)  # one more: "more than" is known
        except GstError as exc:
            query_history.append(self.app.db, sql, error=str(exc))
            self.app.call_from_thread(self.failed, str(exc))
            return
        query_history.append(self.app.db, sql, rows=len(rows))
        self.app.call_from_thread(self.show, sql, columns, rows, clock() - began)

    def failed(self, message: str) -> None:
        """The error replaces the last result: an empty table, the message in red."""
        self.last_sql = ""
        self.query_one("#sql-result", DataTable).clear(columns=True)
        text = message if message.startswith(("query failed", "a query may only")) else f"query failed: {message}"
        self.query_one("#sql-status", Static).update(Text(clean(text), style="bold red"))  # SQL errors are data
        self.reload_history()

    def show(self, sql: str, columns: list[str], rows: list[tuple[Any, ...]], seconds: float) -> None:
        """Fill the table: every value at full precision."""
        self.last_sql = sql
        table = self.query_one("#sql-result", DataTable)
        table.clear(columns=True)
        table.add_columns(*(Text(clean(c)) for c in columns))  # `AS "[red]x"` is a name, not markup
        for row in rows[:MAX_ROWS]:
            table.add_row(*(value_cell(v) for v in row))
        count = (
            f"more than {MAX_ROWS} rows (first {MAX_ROWS} shown; ctrl+s exports all)"
            if len(rows) > MAX_ROWS
            else f"{len(rows)} rows"
        )
        self.query_one("#sql-status", Static).update(Text(f"{count} · {seconds:.2f} s", style="green"))
        self.reload_history()

    # -- schema and history ------------------------------------------------

    @work(thread=True, exclusive=True, group="schema", exit_on_error=False)
    def load_schema(self) -> None:
        """Tables and columns of the database (none yet: an empty tree)."""
        try:
            schema = queries.schema_columns(self.app.db) if self.app.db.exists() else {}
        except GstError as exc:
            self.app.call_from_thread(self.notify, f"schema: {exc}", severity="error")
            return
        self.app.call_from_thread(self.show_schema, schema)

    def show_schema(self, schema: dict[str, list[tuple[str, str]]]) -> None:
        """One node per table, its columns (name and type) below it; the data is each name to insert."""
        tree: Tree[str] = self.query_one("#sql-schema", Tree)
        tree.clear()
        for table, columns in schema.items():
            node = tree.root.add(Text(clean(table), style="bold"), data=table)
            for name, kind in columns:
                node.add_leaf(Text.assemble(clean(name), (f" {clean(kind)}", "dim")), data=name)
        tree.root.expand()

    @on(Tree.NodeSelected, "#sql-schema")
    def insert_name(self, event: Tree.NodeSelected[str]) -> None:
        """Enter on a table or column types its name at the editor's cursor (space opens a table)."""
        name = event.node.data
        if not name:
            return
        editor = self.query_one("#sql", TextArea)
        editor.insert(name if name.isidentifier() else '"' + name.replace('"', '""') + '"')
        editor.focus()

    def reload_history(self) -> None:
        """Read the history file again (another window may have added to it)."""
        self.entries = query_history.load(self.app.db)
        self.show_history()

    def show_history(self) -> None:
        """Newest first, each query once."""
        seen: set[str] = set()
        unique = [e for e in self.entries if not (e.sql in seen or seen.add(e.sql))]  # type: ignore[func-returns-value]  # set.add returns None: keeps the first
        self.shown_history = unique
        options = self.query_one("#sql-history", OptionList)
        options.clear_options()
        options.add_options([Option(history_label(e)) for e in unique])

    @on(OptionList.OptionSelected, "#sql-history")
    def recall(self, event: OptionList.OptionSelected) -> None:
        """Enter on a past query puts it in the editor."""
        editor = self.query_one("#sql", TextArea)
        editor.text = self.shown_history[event.option_index].sql
        editor.focus()

    def action_side(self, tab: str) -> None:
        """Show the tables or the history and focus it (on narrow terminals until you type again)."""
        side = self.query_one("#sql-side", TabbedContent)
        side.add_class("open")
        side.active = tab
        if tab == "history":
            options = self.query_one("#sql-history", OptionList)
            options.highlighted = 0 if options.option_count else None
            options.focus()
        else:
            self.query_one("#sql-schema").focus()

    @on(TextArea.Changed)
    @on(TextArea.SelectionChanged)
    def editing(self) -> None:
        """Back in the editor: a panel opened on a narrow terminal closes again."""
        if self.query_one("#sql", TextArea).has_focus:
            self.query_one("#sql-side").remove_class("open")

    # -- export ------------------------------------------------------------

    def action_export(self) -> None:
        """Ask for a .csv or .parquet path, ask again before replacing a file, then write every row of the result."""
        if not self.last_sql:
            self.notify("no result to export: run a query first (ctrl+r)", severity="warning")
            return

        def chosen(text: str | None) -> None:
            if not text:
                return
            path = Path(text).expanduser().resolve()
            try:
                export_format(path)
            except GstError as exc:
                self.notify(str(exc), severity="error")
                return
            self.export_to = str(path)
            if path.exists():

                def replace(yes: bool | None) -> None:
                    if yes:
                        self.export(self.last_sql, path, True)

                body = Text(f"{path} exists; exporting replaces it.")
                self.app.push_screen(ConfirmScreen(f"Replace {path.name}?", body, yes="Replace", no="Keep"), replace)
            else:
                self.export(self.last_sql, path, False)

        hint = "every row of the last result; the extension picks the format (.csv or .parquet)"
        self.app.push_screen(PathScreen("Export the result to", hint, self.export_to), chosen)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, sql: str, path: Path, replace: bool) -> None:
        """The query again, in the sandbox, and its rows written to `path` by the store."""
        try:
            count = export_query(self.app.db, sql, path, replace=replace)
        except GstError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.notify, f"exported {count} rows to {path}")
