"""Asking before a sweep queues more runs than anyone types by accident.

A seed list such as `range(100000)` in a spec is valid, and would register 100,000 queued runs (and
a journal of tens of MB) before training anything. Above `CONFIRM_ABOVE` runs, `gst run` asks on a
terminal and refuses elsewhere unless `--yes` is given.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gst.engine.spec.errors import GstError

CONFIRM_ABOVE = 1000  # the largest paper preset (figA3) has 480 runs
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help=f"Do not ask before queueing more than {CONFIRM_ABOVE:,} runs.")
]


def confirm_runs(runs: int, yes: bool, *, interactive: bool | None = None) -> None:
    """Return if `runs` may be queued; ask on a terminal, GstError elsewhere or when declined."""
    if runs <= CONFIRM_ABOVE or yes:
        return
    if interactive is None:
        interactive = sys.stdin.isatty()
    what = f"{runs:,} runs is more than {CONFIRM_ABOVE:,}"
    if not interactive:
        raise GstError(f"--yes: {what}; pass --yes to queue them all, or choose fewer with --seeds / --arms")
    if not typer.confirm(f"{what}; queue them all?", default=False, err=True):
        raise GstError(f"{what}; nothing was queued (choose fewer with --seeds / --arms)")
