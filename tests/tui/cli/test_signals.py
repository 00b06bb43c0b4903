"""How `gst run` stops on a signal: SIGTERM and SIGINT alike, named in the runs' errors and the exit code, even
inside a database call, and never while the interrupted runs' statuses are being written."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gst.engine.execution import stop
from gst.store.db import writing
from gst.tui.cli import flags
from tests.store.test_interrupts import busy_writes


@pytest.fixture
def handlers() -> Iterator[None]:
    """gst run's handlers for SIGINT and SIGTERM, restored afterwards; no signal remembered before or after."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    stop.reset()
    signal.signal(signal.SIGINT, flags._on_signal)
    signal.signal(signal.SIGTERM, flags._on_signal)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)
    stop.reset()


def test_reasons_name_the_signal() -> None:
    assert stop.reason(signal.SIGTERM) == "interrupted by SIGTERM"
    assert stop.reason(signal.SIGINT) == "interrupted by Ctrl-C (SIGINT)"


@pytest.mark.usefixtures("handlers")
def test_sigterm_inside_database_calls_is_a_keyboard_interrupt(db: Path) -> None:
    """DuckDB turns a signal that lands in a query into its own error; gst's handler counts it, so it surfaces as
    KeyboardInterrupt and the run is interrupted, not failed."""
    with writing(db):
        pass
    for trial in range(10):
        timer = threading.Timer(0.001 + 0.003 * trial, os.kill, (os.getpid(), signal.SIGTERM))
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            busy_writes(db, 5.0)
        timer.join()
    assert stop.first() == signal.SIGTERM


@pytest.mark.usefixtures("handlers")
def test_signals_are_held_while_statuses_are_written(db: Path) -> None:
    with writing(db):
        pass
    with stop.held():
        os.kill(os.getpid(), signal.SIGINT)
        busy_writes(db, 0.2)  # neither raised nor turned into a database error
    assert stop.first() == signal.SIGINT


def test_the_exit_code_and_message_name_the_signal(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    stop.reset()
    try:
        stop.note(signal.SIGTERM)
        with pytest.raises(typer.Exit) as exit_, flags.guard():
            raise KeyboardInterrupt
        assert exit_.value.exit_code == 143
        assert "interrupted by SIGTERM: what was measured is in the database" in capsys.readouterr().err
    finally:
        stop.reset()
