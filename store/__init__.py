"""gst.store."""
