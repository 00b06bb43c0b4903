"""Ctrl-C during a database call always surfaces as KeyboardInterrupt (DuckDB would turn it into its own error)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gst.store.db import reading, writing


def busy_writes(db: Path, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with writing(db) as conn:  # a query long enough for the signal to land while DuckDB executes it
            conn.execute("SELECT sum(i) FROM range(3000000) t(i)").fetchall()
        with reading(db) as conn:
            conn.execute("SELECT sum(i) FROM range(3000000) t(i)").fetchall()


@pytest.fixture
def default_sigint() -> Iterator[None]:
    """Python's own SIGINT handler, even where the test run inherited SIGINT as ignored (a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("default_sigint")
def test_sigint_inside_database_calls_is_a_keyboard_interrupt(db: Path) -> None:
    with writing(db):
        pass  # create the file with its schema
    for trial in range(20):  # signals land at staggered moments of connect, query, commit and close
        timer = threading.Timer(0.001 + 0.002 * trial, os.kill, (os.getpid(), signal.SIGINT))
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            busy_writes(db, 2.0)
        timer.join()
    with reading(db) as conn:  # the file is intact afterwards
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)
