"""The `gst` command line (Typer): one module per group of commands; `app` is the entry point."""

from gst.tui.cli.main import app

__all__ = ["app"]
