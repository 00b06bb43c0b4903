"""gst.tui.runner: the one place that joins execution to the store; the CLI and the app both call it."""
