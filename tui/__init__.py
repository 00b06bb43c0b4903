"""gst.tui."""
