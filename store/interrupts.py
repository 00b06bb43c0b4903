"""Ctrl-C that arrives while DuckDB works must still stop gst.

DuckDB checks for signals during a query and turns Ctrl-C into its own `RuntimeError('Query
interrupted')`, or drops it when the query ends at that moment. gst spends a few percent of a run
inside DuckDB (one flush per epoch), so without this a Ctrl-C would sometimes fail the run instead of
interrupting it, or be lost. Counting SIGINTs in our own handler lets every database call re-raise
KeyboardInterrupt when one arrived while it ran.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_count = 0  # interrupting signals this process has received since the handler was installed


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _count
    _count += 1
    signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt, as without us


def note_signal() -> None:
    """Count a signal that another handler turns into KeyboardInterrupt (gst run's SIGINT and SIGTERM handler), so
    that a database call it lands in re-raises it as well."""
    global _count
    _count += 1


def install() -> None:
    """Count SIGINTs, if Python's default handler is in place (apps with their own handler keep it)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is (
        signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _on_sigint)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Raise KeyboardInterrupt at the end of the block if a SIGINT arrived inside it, whatever DuckDB made of it."""
    install()
    before = _count
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if _count != before:
            raise KeyboardInterrupt from exc
        raise
    if _count != before:
        raise KeyboardInterrupt
