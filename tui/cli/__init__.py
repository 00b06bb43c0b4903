"""The `gst` command line (Typer): one module per group of commands; `root.app` gathers them."""
