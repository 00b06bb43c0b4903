"""`python -m gst.tui.cli`."""

from gst.tui.cli.main import app

app()
