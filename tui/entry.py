"""The `gst` program: every command of the command line, plus `gst tui`, which opens the app.

It sits above both front ends so that neither imports the other; the app (and Textual) load only for `gst tui`.
"""

from __future__ import annotations

from gst.engine.spec.datasets import check_data_dir
from gst.tui.cli.flags import DEFAULT_DB, DataDirOption, DbOption, guard
from gst.tui.cli.root import app

__all__ = ["app"]


@app.command()
def tui(db: DbOption = DEFAULT_DB, data_dir: DataDirOption = None) -> None:
    """Open the terminal app: presets, composer, live dashboards, summaries, runs browser."""
    from gst.store.db import check_database

    with guard():  # what the app would trip over, said in one line before it starts
        check_database(db, write=False)
        check_data_dir(data_dir)
    from gst.tui.app.gst_app import GstApp

    GstApp(db, data_dir).run()
