"""Reporting shared by the CLI and the app: stored sweeps as analysis inputs, summaries and figures."""
