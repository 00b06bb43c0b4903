"""Polling base for screens that show database contents: load in a thread, show on the UI thread.

A screen may offer a cheap `fingerprint()` (one small query): the full `load()` then runs only when the
fingerprint changed, and after a while without change the probe itself runs on every fifth tick only, so
a screen left open on a finished sweep costs next to nothing while a sweep trains beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.screen import Screen

from gst.engine.spec.errors import GstError

if TYPE_CHECKING:
    from gst.tui.app.gst_app import GstApp

QUIET_TICKS = 10  # unchanged probes before probing less often
QUIET_EVERY = 5


class GstScreen(Screen[None]):
    """A screen of gst's app: `self.app` is typed as the GstApp it runs in (its database and launcher)."""

    if TYPE_CHECKING:
        app: GstApp


class PollingScreen(GstScreen):
    """Calls `load()` in a worker thread every `interval` seconds and passes the result to `show()`."""

    interval = 1.0

    def on_mount(self) -> None:
        """Load now, then on a timer."""
        self._fingerprint: Any = None
        self._unchanged = 0
        self._ticks = 0
        self.poll()
        self.set_interval(self.interval, self.tick)

    def tick(self) -> None:
        """A timer tick: poll, or skip while the data has long been unchanged."""
        self._ticks += 1
        if not self.is_current or (self._unchanged >= QUIET_TICKS and self._ticks % QUIET_EVERY):
            return  # screens under another one wait until they are shown again
        self.poll()

    def on_screen_resume(self) -> None:
        """Shown again: catch up at once."""
        if hasattr(self, "_ticks"):
            self._unchanged = 0
            self.poll()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        """Read the database off the UI thread; errors become one notification."""
        try:
            fingerprint = self.fingerprint()
            if fingerprint is not None and fingerprint == self._fingerprint:
                self._unchanged += 1
                return
            data = self.load()
        except GstError as exc:
            self.app.call_from_thread(self.failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            self.app.call_from_thread(self.failed, f"{type(exc).__name__}: {exc}")
            return
        self._fingerprint, self._unchanged = fingerprint, 0
        self.app.call_from_thread(self.show, data)

    def refresh_now(self) -> None:
        """Forget the fingerprint and load at once (after a user action that changes what is shown)."""
        self._fingerprint, self._unchanged = None, 0
        self.poll()

    def fingerprint(self) -> Any:
        """A cheap value that changes when `load()` would return something new; None: always load."""
        return None

    def load(self) -> Any:
        """Read what the screen shows (runs in a thread)."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        """Update widgets with freshly loaded data."""
        raise NotImplementedError

    def failed(self, message: str) -> None:
        """Show a load error once until it changes."""
        if getattr(self, "_last_error", None) != message:
            self._last_error = message
            self.notify(message, severity="error", timeout=6)


class SweepScreen(PollingScreen):
    """A screen of one sweep, the app's current one: `follow` moves it to another sweep, keeping its settings."""

    def __init__(self, sweep_id: str, why: str = "selected") -> None:
        super().__init__()
        self.sweep_id, self.why = sweep_id, why
        self.resolved = False  # whether a load has shown the sweep (`latest` then names it)

    def follow(self, sweep_id: str, why: str) -> None:
        """Show `sweep_id` from now on (the current sweep changed); `latest` keeps a sweep already shown."""
        if sweep_id == self.sweep_id or (sweep_id == "latest" and self.resolved):
            return
        self.sweep_id, self.why, self.resolved = sweep_id, why, False
        self.forget()
        if hasattr(self, "_ticks"):
            self.refresh_now()

    def forget(self) -> None:
        """Drop what was shown of the previous sweep."""
