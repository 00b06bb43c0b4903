"""The `gst` command line (Typer): one module per group of commands; `app` is the entry point."""

from gst.tui.cli.root import app

__all__ = ["app"]
