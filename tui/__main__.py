"""`python -m gst.tui`: the `gst` program."""

from gst.tui.entry import app

app()
