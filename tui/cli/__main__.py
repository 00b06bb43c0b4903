"""`python -m gst.tui.cli`."""

from gst.tui.cli.root import app

app()
