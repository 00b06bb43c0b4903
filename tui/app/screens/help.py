"""`?`: every key of the screen shown (its own, its focused widget's, the app's), laid out in as many columns as
the window holds."""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from gst.tui.report.tables import Fitted

KEY_NAMES = {
    "question_mark": "?", "slash": "/", "colon": ":", "left_square_bracket": "[", "right_square_bracket": "]",
    "plus": "+", "minus": "-", "equals_sign": "=", "escape": "esc", "space": "space", "left": "←", "right": "→",
    "up": "↑", "down": "↓", "shift+left": "shift+←", "shift+right": "shift+→", "circumflex_accent": "^",
}  # fmt: skip
GROUP_WIDTH = 32  # one group's table: key column and what it does (two groups side by side at 80 columns)
Groups = dict[str, list[tuple[str, str]]]


def place(node: DOMNode, binding: Binding, screen: Screen[object]) -> str:
    """Where a binding comes from, in words (Textual's own screen keys, tab and copy, count as everywhere)."""
    if node is screen.app or binding in Screen.BINDINGS:
        return "everywhere"
    if node is screen:
        return f"this screen ({type(screen).__name__.removesuffix('Screen')})"
    return f"focused {node.id or type(node).__name__}"


def screen_bindings(screen: Screen[object]) -> Groups:
    """Every key active on `screen`, grouped by where it is bound (this screen first), keys of one action joined."""
    by_action: dict[tuple[str, str], list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        where = place(active.node, binding, screen)
        label = binding.description or binding.action
        by_action.setdefault((where, label), [])
        if (name := KEY_NAMES.get(key, key)) not in by_action[(where, label)]:
            by_action[(where, label)].append(name)
    groups: Groups = {}
    for (where, label), keys in by_action.items():
        groups.setdefault(where, []).append((" ".join(keys), label))
    order = sorted(groups, key=lambda w: (not w.startswith("this screen"), w == "everywhere", w))
    return {w: groups[w] for w in order}


def help_renderable(groups: Groups, width: int) -> RenderableType:
    """One small table per group, side by side as far as `width` allows."""
    tables = []
    for where, rows in groups.items():
        table = Table(title=Text(where, style="bold"), title_justify="left", box=None, show_header=False,
                      width=min(GROUP_WIDTH, width), padding=(0, 1))  # fmt: skip
        table.add_column(no_wrap=True, max_width=12)
        table.add_column(ratio=1)
        for key, does in rows:
            table.add_row(Text(key, style="bold"), Text(does))
        tables.append(table)
    note = Text("the mouse works everywhere; ctrl+p opens the command palette; Esc or ? closes this", style="dim")
    return Group(note, Columns(tables, padding=(1, 2)))


class HelpScreen(ModalScreen[None]):
    """A scrollable grid of key tables; Esc or ? closes it."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "Close")]

    def __init__(self, groups: Groups) -> None:
        super().__init__()
        self.groups = groups
        self.rows = [(key, does, where) for where, rows in groups.items() for key, does in rows]

    def compose(self) -> ComposeResult:
        """The tables in a scroll box."""
        with VerticalScroll(id="help"):
            yield Static(Fitted(lambda width: help_renderable(self.groups, width)))
