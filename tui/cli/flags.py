"""Shared CLI options, the error guard (one line, exit 1; Ctrl-C exits 130) and console handles."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer
from rich.console import Console
from rich.markup import escape

from gst.engine.execution import stop
from gst.engine.execution.options import ExecutionOptions
from gst.engine.spec.errors import GstError
from gst.store import interrupts
from gst.tui.report.cells import clean
from gst.tui.runner.background import HANDLE_SIGINT

out = Console(soft_wrap=True)  # results only
err = Console(stderr=True, soft_wrap=True)  # progress, messages

DbOption = Annotated[Path, typer.Option("--db", envvar="GST_DB", help="DuckDB file (env GST_DB).", show_default=True)]


def declared(cls: type, name: str) -> Any:
    """The Typer annotation of an option the execution layer declares: its type, flags, help and env variable."""
    meta = next(f for f in fields(cls) if f.name == name).metadata
    return Annotated[get_type_hints(cls)[name], typer.Option(*meta["flags"], help=meta["help"], envvar=meta["env"])]


DataDirOption = declared(ExecutionOptions, "data_dir")
DeviceOption = declared(ExecutionOptions, "device")
SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="Override a preset key, e.g. base.epochs=2 (repeatable).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DEFAULT_DB = Path("gst.duckdb")


def handle_sigint_if_asked() -> None:
    """Make Ctrl-C / SIGINT interrupt this process when the parent that will send it says so.

    Background jobs of a non-interactive shell inherit SIGINT as ignored, and Python then never raises
    KeyboardInterrupt; a parent that stops `gst run` with SIGINT (the TUI's launcher) sets
    GST_HANDLE_SIGINT=1. Without it the inherited choice stands, as for any background job.
    """
    if os.environ.get(HANDLE_SIGINT) == "1":
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _on_signal(signum: int, frame: object) -> None:
    """SIGINT and SIGTERM: interrupt (KeyboardInterrupt), unless the statuses of interrupted runs are being written
    (`stop.held`); counted for DuckDB calls, which would otherwise swallow it."""
    if stop.note(signum):
        interrupts.note_signal()
        raise KeyboardInterrupt


def stop_on_signals() -> None:
    """SIGINT and SIGTERM stop a run alike: runs marked interrupted (their error names the signal), everything
    measured stored, exit 130 (SIGINT) or 143 (SIGTERM). Called first thing in a command that trains, so a signal
    during its start-up (imports done, preset and data loading) stops it the same way.

    An inherited ignored SIGINT (a background job of a non-interactive shell) stays ignored unless the parent asks
    with GST_HANDLE_SIGINT=1 (see `handle_sigint_if_asked`)."""
    if os.environ.get(HANDLE_SIGINT) == "1" or signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


RUN_INTERRUPTED = "what was measured is in the database; `gst resume` continues"
READ_INTERRUPTED = "stopped by Ctrl-C; nothing was changed"


@contextlib.contextmanager
def guard(interrupted: str = RUN_INTERRUPTED) -> Iterator[None]:
    """Turn expected errors into one red line and exit 1, and Ctrl-C into exit 130 with `interrupted`."""
    try:
        yield
    except GstError as exc:
        err.print(f"[bold red]error:[/] {escape(clean(str(exc)))}", highlight=False)
        raise typer.Exit(1) from None
    except OSError as exc:  # a folder that cannot be written, a disk that is full: the system's words, one line
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[bold red]error:[/] {escape(clean(where + (exc.strerror or str(exc))))}", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        by = stop.first()
        err.print(f"[yellow]{stop.reason(by) if by else 'interrupted'}[/]: {interrupted}", highlight=False)
        raise typer.Exit(143 if by == signal.SIGTERM else 130) from None
