"""Runs sweeps for the TUI as background `gst run` processes, one after another from a queue.

The child process writes to the database exactly as a headless run does; the TUI only reads it, so a
sweep launched here and one started in another terminal look the same.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gst.engine.execution.jobs import new_sweep_id
from gst.tui.runner.background import child_command, resume_arguments, run_arguments

LOG_LINES = 500


@dataclass
class Launch:
    """One queued or running sweep."""

    sweep_id: str
    label: str
    args: list[str]
    state: str = "queued"  # queued | running | done | failed | cancelled
    log: list[str] = field(default_factory=list)  # the child's stderr, last LOG_LINES lines
    returncode: int | None = None

    @property
    def stderr_tail(self) -> list[str]:
        """The last few lines of stderr."""
        return self.log[-5:]

    @property
    def command(self) -> str:
        """The command line, as a user would type it."""
        return "gst " + " ".join(self.args)


class Launcher:
    """A FIFO of sweeps; `notify(launch)` is called whenever one changes state."""

    def __init__(self, db: Path, notify: Callable[[Launch], None]) -> None:
        self.db = db
        self.notify = notify
        self.launches: list[Launch] = []
        self._process: asyncio.subprocess.Process | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin processing the queue (call from the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def submit(
        self,
        target: list[str],
        label: str,
        *,
        device: str = "auto",
        seeds: str = "",
        arms: str = "",
        data_dir: str = "",
    ) -> Launch:
        """Queue `gst run <target> …` (target: ["preset", NAME] or ["spec", FILE])."""
        sweep_id = new_sweep_id()
        args = run_arguments(target, self.db, sweep_id, device=device, seeds=seeds, arms=arms, data_dir=data_dir)
        return self._enqueue(Launch(sweep_id=sweep_id, label=label, args=args))

    def resume(self, sweep_id: str, device: str = "auto") -> Launch:
        """Queue `gst resume SWEEP_ID`."""
        return self._enqueue(
            Launch(
                sweep_id=sweep_id,
                label=f"resume {sweep_id}",
                args=resume_arguments(self.db, sweep_id, device),
            )
        )

    def cancel(self, sweep_id: str) -> bool:
        """Drop a queued sweep, or interrupt a running one (its run is marked interrupted)."""
        for launch in self.launches:
            if launch.sweep_id == sweep_id and launch.state == "queued":
                launch.state = "cancelled"
                self.notify(launch)
                return True
            if launch.sweep_id == sweep_id and launch.state == "running" and self._process is not None:
                self._process.send_signal(signal.SIGINT)
                launch.state = "cancelled"
                return True
        return False

    def find(self, sweep_id: str) -> Launch | None:
        """The newest launch of this sweep, if this window made one."""
        return next((x for x in reversed(self.launches) if x.sweep_id == sweep_id), None)

    @property
    def busy(self) -> bool:
        """Whether a sweep runs or waits in the queue."""
        return any(x.state in ("queued", "running") for x in self.launches)

    @property
    def running(self) -> Launch | None:
        """The sweep whose process is alive, if any."""
        return next((x for x in self.launches if x.state == "running"), None)

    def _enqueue(self, launch: Launch) -> Launch:
        self.launches.append(launch)
        self.notify(launch)
        self._wake.set()
        return launch

    async def _loop(self) -> None:
        while True:
            launch = next((x for x in self.launches if x.state == "queued"), None)
            if launch is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._run(launch)

    async def _run(self, launch: Launch) -> None:
        launch.state = "running"
        self.notify(launch)
        command, env = child_command(launch.args)  # cancel and quit stop it with SIGINT
        self._process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env
        )
        assert self._process.stderr is not None
        async for raw in self._process.stderr:
            line = raw.decode(errors="replace").strip()
            if line:
                launch.log.append(line)
                del launch.log[:-LOG_LINES]
        code = await self._process.wait()
        self._process = None
        launch.returncode = code
        if launch.state == "running":
            launch.state = "done" if code == 0 else "failed"
        self.notify(launch)

    async def stop(self) -> None:
        """Interrupt the running sweep (on quit) and stop the queue."""
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)
            await self._process.wait()
        if self._task is not None:
            self._task.cancel()
