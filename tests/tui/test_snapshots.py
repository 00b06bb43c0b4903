"""Snapshots of the main screens with frozen data (regenerate with `pytest --snapshot-update` and review)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gst.tui.app import GstApp
from gst.tui.screens.dashboard import DashboardScreen
from gst.tui.screens.summary import SummaryScreen

from .fabricate import fabricate

FROZEN = ("base.lr_milestones=[]", "base.prune.end_epoch=[20, 20, 20, 30]")


def test_presets_screen_80x24(snap_compare: Any, db: Path) -> None:
    assert snap_compare(GstApp(db), terminal_size=(80, 24))


def test_composer_screen_160x48(snap_compare: Any, db: Path) -> None:
    assert snap_compare(GstApp(db), terminal_size=(160, 48), press=["c"])


def test_dashboard_screen_120x36(snap_compare: Any, db: Path) -> None:
    fabricate(db, "fig2", seeds=2, epochs=40, overrides=FROZEN, sweep_id="frozen")

    async def open_dashboard(pilot: Any) -> None:
        await pilot.app.push_screen(DashboardScreen("frozen"))
        await pilot.pause(1.0)

    assert snap_compare(GstApp(db), terminal_size=(120, 36), run_before=open_dashboard)


def test_summary_screen_120x36(snap_compare: Any, db: Path) -> None:
    fabricate(db, "fig1", seeds=3, epochs=40, overrides=FROZEN, sweep_id="frozen")

    async def open_summary(pilot: Any) -> None:
        await pilot.app.push_screen(SummaryScreen("frozen"))
        await pilot.pause(1.5)

    assert snap_compare(GstApp(db), terminal_size=(120, 36), run_before=open_summary)
