"""Fault injection for the process-level tests: `GST_FAULT` makes this process SIGKILL itself at a named moment,
`GST_PAUSE` makes it wait there for the test's signal.

`GST_FAULT="point:n[,role:point:n]"` kills the process the n-th time it reaches `point` (role `main`, the
default, is the launching process; `worker` a worker process); with `GST_FAULT_ONCE=<file>` only the first
process to get there dies (a retried worker would otherwise meet the same fault). `GST_PAUSE` (same form) makes
the process create the file `GST_PAUSED` names and sleep there until a signal interrupts it (at most PAUSE_S
seconds). It costs one dict lookup per call when unset, and exists so that tests can stop a real process at exact
moments (mid-epoch, during a flush, at an epoch boundary, ...) with a real signal instead of racing a timer, which
a loaded machine loses.
"""

from __future__ import annotations

import os
import signal
import time

ROLE = {"name": "main"}
_COUNTS: dict[str, int] = {}
PAUSE_S = 600.0


def _wanted(variable: str = "GST_FAULT") -> dict[str, int]:
    wanted = {}
    for item in os.environ.get(variable, "").split(","):
        parts = item.strip().split(":")
        if len(parts) == 2:
            parts.insert(0, "main")
        if len(parts) == 3 and parts[0] == ROLE["name"] and parts[2].isdigit():
            wanted[parts[1]] = int(parts[2])
    return wanted


def hit(point: str) -> None:
    """Count a visit to `point`; SIGKILL this process if GST_FAULT asks for this visit, pause if GST_PAUSE does."""
    if "GST_FAULT" not in os.environ and "GST_PAUSE" not in os.environ:
        return
    _COUNTS[point] = _COUNTS.get(point, 0) + 1
    if _wanted("GST_PAUSE").get(point) == _COUNTS[point]:
        _pause()
    if _wanted().get(point) == _COUNTS[point]:
        once = os.environ.get("GST_FAULT_ONCE")  # a file: the fault fires in one process only (workers restart)
        if once:
            try:
                with open(once, "x"):
                    pass
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)


def _pause() -> None:
    """Say so in the file GST_PAUSED names, then sleep until a signal's KeyboardInterrupt (or PAUSE_S seconds)."""
    marker = os.environ.get("GST_PAUSED")
    if marker:
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
    end = time.monotonic() + PAUSE_S
    while time.monotonic() < end:
        time.sleep(0.1)
