"""gst.engine.analysis: statistics of the papers' figures over plain run records (no torch, no database)."""
