"""gst.engine: models, data, pruning, schedules and the training loop (no UI, no database)."""
