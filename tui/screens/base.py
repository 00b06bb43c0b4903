"""Polling base for screens that show database contents: load in a thread, show on the UI thread."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.screen import Screen

from gst.engine.errors import GstError


class PollingScreen(Screen[None]):
    """Calls `load()` in a worker thread every `interval` seconds and passes the result to `show()`."""

    interval = 1.0

    def on_mount(self) -> None:
        """Load now, then on a timer."""
        self.poll()
        self.set_interval(self.interval, self.poll)

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        """Read the database off the UI thread; errors become one notification."""
        try:
            data = self.load()
        except GstError as exc:
            self.app.call_from_thread(self.failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            self.app.call_from_thread(self.failed, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self.show, data)

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
