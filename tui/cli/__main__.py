"""`python -m gst.tui.cli.main`."""

from gst.tui.cli.main import app

app()
