"""gst.engine.bench: measurements behind `gst bench`: throughput, seeds trained together, the flatness cost."""
