"""How a training process stops on a signal: which signal it was (each interrupted run's error names it), and a
hold that keeps further signals from cutting short the writing of the interrupted runs' statuses.

The handlers themselves are installed by the front end (`gst.tui.cli.flags.stop_on_signals`) and by worker
processes (`gst.engine.execution.pool`); they call `note` and raise KeyboardInterrupt only when it says so.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

_received: list[int] = []  # signals this process was stopped by, in order
_held = 0  # > 0 while the statuses of interrupted runs are being written


def note(signum: int) -> bool:
    """Record a stopping signal; True if the handler should interrupt now (False while held)."""
    _received.append(signum)
    return _held == 0


def first() -> int | None:
    """The signal that stopped this process first (None: none yet)."""
    return _received[0] if _received else None


def reason(signum: int | None = None) -> str:
    """What an interrupted run's error says: 'interrupted by SIGTERM' or 'interrupted by Ctrl-C (SIGINT)'."""
    signum = signum if signum is not None else first()
    if signum is None or signum == signal.SIGINT:
        return "interrupted by Ctrl-C (SIGINT)"
    return f"interrupted by {signal.Signals(signum).name}"


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Signals that arrive inside are recorded (`note` returns False) instead of interrupting: the interrupted
    runs' last events and statuses are written whole, whatever the user presses meanwhile."""
    global _held
    _held += 1
    try:
        yield
    finally:
        _held -= 1


def reset() -> None:
    """Forget the signals received (tests that stop the same process more than once)."""
    _received.clear()
