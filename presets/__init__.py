"""gst.presets."""
