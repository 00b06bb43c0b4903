"""Runs sweeps for the TUI as background `gst run` processes, one after another from a queue.

The child process writes to the database exactly as a headless run does; the TUI only reads it, so a
sweep launched here and one started in another terminal look the same. The child's stderr goes, line by
line as it comes, to `<db>.d/logs/<sweep>.log`; when the child exits, how it ended is stored as a launch
record (`gst.store.launches`), so a launch that failed, even before it registered its sweep, is still
there after a restart.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from gst.engine.execution.jobs import new_sweep_id
from gst.engine.spec.errors import GstError
from gst.engine.spec.journal import now
from gst.store.launches import log_path, record_launch
from gst.store.rows import LaunchRow
from gst.tui.runner.background import child_command, resume_arguments, run_arguments

LOG_LINES = 500


def failure_line(log: list[str]) -> str | None:
    """Why a launch failed, in one line: its last `error:` line, else its last line."""
    return next((x for x in reversed(log) if x.startswith("error:")), None) or (log[-1] if log else None)


@dataclass
class Launch:
    """One queued or running sweep."""

    sweep_id: str
    label: str
    args: list[str]
    state: str = "queued"  # queued | running | done | failed | cancelled
    log: list[str] = field(default_factory=list)  # the child's stderr, last LOG_LINES lines
    returncode: int | None = None
    kind: str = "run"  # run | resume
    started_at: str = ""  # UTC, when the child started

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
        self._ended = asyncio.Event()  # set once the running launch is recorded

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
                kind="resume",
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
        launch.state, launch.started_at = "running", now()
        self._ended.clear()
        self.notify(launch)
        log = self._open_log(launch)
        try:
            code = await self._follow(launch, log)
        finally:
            self._process = None
        launch.returncode = code
        if launch.state == "running":
            launch.state = "done" if code == 0 else "failed"
        self._write(log, f"# {now()} UTC: exit code {code}, {launch.state}")
        if log is not None:
            log.close()
        await self._record(launch)
        self._ended.set()
        self.notify(launch)

    async def _follow(self, launch: Launch, log: TextIO | None) -> int:
        """Start the child and keep its stderr, in memory and in the log file, until it exits."""
        command, env = child_command(launch.args)  # cancel and quit stop it with SIGINT
        try:
            self._process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env
            )
        except OSError as exc:
            line = f"error: cannot start {command[0]} ({exc.strerror or exc})"
            launch.log.append(line)
            self._write(log, line)
            return 127
        assert self._process.stderr is not None
        async for raw in self._process.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line.strip():
                launch.log.append(line)
                del launch.log[:-LOG_LINES]
                self._write(log, line)
        return await self._process.wait()

    def _open_log(self, launch: Launch) -> TextIO | None:
        """The sweep's log file, appended to (a resume continues its run's log); None if it cannot be written."""
        path = log_path(self.db, launch.sweep_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            log = path.open("a", encoding="utf-8")
        except OSError as exc:
            launch.log.append(f"gst: the log cannot be kept in {path} ({exc.strerror}); it is shown here only")
            return None
        self._write(log, f"# {launch.started_at} UTC: {launch.command}")
        return log

    @staticmethod
    def _write(log: TextIO | None, line: str) -> None:
        if log is None:
            return
        try:
            log.write(line + "\n")
            log.flush()
        except OSError:
            pass  # a full disk: the lines stay in memory

    async def _record(self, launch: Launch) -> None:
        """Store how the launch ended; a database that cannot be written gets one line in the log instead."""
        error = failure_line(launch.log) if launch.state == "failed" else None
        row = LaunchRow(
            sweep_id=launch.sweep_id, started_at=launch.started_at, finished_at=now(), kind=launch.kind,
            label=launch.label, command=launch.command, status=launch.state, returncode=launch.returncode,
            error=error, log_path=str(log_path(self.db, launch.sweep_id)),
        )  # fmt: skip
        try:
            await asyncio.to_thread(record_launch, self.db, row)
        except GstError as exc:
            launch.log.append(f"gst: this launch could not be recorded in the database: {exc}")

    async def stop(self) -> None:
        """Interrupt the running sweep (on quit), wait until its launch is recorded, and stop the queue."""
        if self._process is not None:
            if self.running is not None:
                self.running.state = "cancelled"  # interrupted by quitting: resumable, not failed
            self._process.send_signal(signal.SIGINT)
            await self._process.wait()
            try:
                await asyncio.wait_for(self._ended.wait(), timeout=15)
            except TimeoutError:
                pass
        if self._task is not None:
            self._task.cancel()
