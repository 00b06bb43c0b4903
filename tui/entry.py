"""The `gst` program: every command of the command line, plus `gst tui`, which opens the app.

It sits above both front ends so that neither imports the other; the app (and Textual) load only for `gst tui`.
"""

from __future__ import annotations

from gst.tui.cli.flags import DEFAULT_DB, DataDirOption, DbOption
from gst.tui.cli.root import app

__all__ = ["app"]


@app.command()
def tui(db: DbOption = DEFAULT_DB, data_dir: DataDirOption = None) -> None:
    """Open the terminal app: presets, composer, live dashboards, summaries, runs browser."""
    from gst.tui.app.gst_app import GstApp

    GstApp(db, data_dir).run()
