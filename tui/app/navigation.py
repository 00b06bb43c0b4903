"""The app's screens by name and key; each is built the first time it is opened, with its module imported then.

Importing a screen pulls in what it draws with (textual-plot and numpy for charts, scipy for the summary), so
the first screen appears without paying for the others.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

    from gst.tui.app.gst_app import GstApp

# screen keys that work everywhere (inputs keep their letters while focused): key -> (screen name, label)
SCREEN_KEYS = {
    "p": ("presets", "Presets"),
    "c": ("composer", "Compose"),
    "r": ("runs", "Runs"),
    "d": ("dashboard", "Dashboard"),
    "s": ("summary", "Summary"),
    "g": ("charts", "Charts"),
    "o": ("log", "Launch log"),
    "e": ("query", "SQL query"),
}
# screen name -> (module under gst.tui.app.screens, class); the sweep screens take the current sweep
SCREENS = {
    "presets": ("presets", "PresetsScreen"),
    "composer": ("composer", "ComposerScreen"),
    "runs": ("runs", "RunsScreen"),
    "dashboard": ("dashboard", "DashboardScreen"),
    "summary": ("summary", "SummaryScreen"),
    "charts": ("charts", "ChartsScreen"),
    "log": ("log", "LogScreen"),
    "query": ("query", "QueryScreen"),
}
SWEEP_SCREENS = ("dashboard", "summary", "charts", "log")
HISTORY = 16  # screens Esc can go back through


def make_screen(app: GstApp, name: str) -> Screen[None]:
    """The screen `name`, its module imported now; sweep screens show the app's current sweep."""
    module, cls = SCREENS[name]
    screen_type = getattr(import_module(f"gst.tui.app.screens.{module}"), cls)
    screen: Screen[None] = screen_type(*app.current_sweep()) if name in SWEEP_SCREENS else screen_type()
    return screen
