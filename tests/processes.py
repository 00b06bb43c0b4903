"""Child processes for process-level tests: never left behind, never waited for by the clock alone.

Every child starts in a session of its own (so its process group holds it and its workers) and dies with the
test process (PR_SET_PDEATHSIG). Its output goes to files, shown when the test fails (no pipe can fill up). A
test ends every process group it started, pass or fail; at the end of the session any member of a registered
session still alive is killed and fails the session (tests/conftest.py).

Waits follow progress, not wall time: a wait fails only when the child shows no sign of work (CPU time of its
session, growth of its output, changes of the files it writes) for IDLE seconds, so a loaded machine makes a
test slower, never wrong. CAP bounds a wait in any case.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "GST_TEST_SESSIONS"  # folder where each pytest process lists the sessions of the children it started
IDLE = 180.0  # seconds without any sign of progress before a wait fails
CAP = 3600.0  # seconds any one wait may take at most
POLL = 0.1
PR_SET_PDEATHSIG = 1


def registry() -> Path:
    """The registry folder, made once by the first pytest process (the controller) and inherited by its workers."""
    folder = os.environ.get(REGISTRY)
    if not folder:
        folder = tempfile.mkdtemp(prefix="gst-test-sessions-")
        os.environ[REGISTRY] = folder
    return Path(folder)


def _register(sid: int) -> None:
    with (registry() / f"{os.getpid()}.sessions").open("a") as f:
        f.write(f"{sid}\n")


def _registered(everyone: bool) -> set[int]:
    """Sessions registered by this process, or by every pytest process of the run."""
    files = registry().glob("*.sessions") if everyone else [registry() / f"{os.getpid()}.sessions"]
    found: set[int] = set()
    for path in files:
        with contextlib.suppress(OSError):
            found |= {int(x) for x in path.read_text().split()}
    return found


@dataclass(frozen=True)
class Stat:
    pid: int
    state: str
    ppid: int
    sid: int
    ticks: int  # user + system CPU time, in clock ticks


def _stat(pid: int) -> Stat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return Stat(pid, fields[0], int(fields[1]), int(fields[3]), int(fields[11]) + int(fields[12]))


def _all() -> list[Stat]:
    stats = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats.append(stat)
    return stats


def _alive(stat: Stat) -> bool:
    return stat.state not in ("Z", "X")


def members(sid: int) -> list[Stat]:
    """The live processes of a session."""
    return [s for s in _all() if s.sid == sid and _alive(s)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def end_session(sid: int, grace: float = 5.0) -> None:
    """SIGTERM every process of the session, SIGKILL what is left after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for stat in members(sid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(stat.pid, sig)
        deadline = time.monotonic() + grace
        while members(sid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not members(sid):
            return


def end_survivors() -> list[str]:
    """Kill what is still alive of the registered sessions (of every pytest process, in the controller) and any
    `gst` child of this process; one line per process killed."""
    everyone = not os.environ.get("PYTEST_XDIST_WORKER")
    sessions = _registered(everyone)
    me = os.getpid()
    found = [
        s
        for s in _all()
        if _alive(s) and s.pid != me and (s.sid in sessions or (s.ppid == me and "gst.tui" in _cmdline(s.pid)))
    ]
    lines = [f"pid {s.pid} (session {s.sid}): {_cmdline(s.pid)[:200]}" for s in found]
    for s in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(s.pid, signal.SIGKILL)
    return lines


def report_survivors(lines: list[str]) -> None:
    """A test worker tells the controller what it had to kill."""
    if lines:
        (registry() / f"{os.getpid()}.survivors").write_text("\n".join(lines) + "\n")


def reported_survivors() -> list[str]:
    """What the test workers had to kill."""
    lines: list[str] = []
    for path in registry().glob("*.survivors"):
        lines += path.read_text().splitlines()
    return lines


def _child_setup(ignore_sigint: bool) -> Callable[[], None]:
    def setup() -> None:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with its test
        if ignore_sigint:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job of a non-interactive shell

    return setup


def _files(folder: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                st = os.stat(os.path.join(root, name))
                found.append((name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(found))


class Proc:
    """One child process in a session of its own, output in files."""

    def __init__(
        self,
        command: list[str],
        logs: Path,
        *,
        env: dict[str, str] | None = None,
        ignore_sigint: bool = False,
        watch: Path | None = None,
    ) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        n = len(list(logs.glob("*.out")))
        self.command = command
        self.out_path, self.err_path = logs / f"{n}.out", logs / f"{n}.err"
        self.watch = watch
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.popen = subprocess.Popen(
                command,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                preexec_fn=_child_setup(ignore_sigint),  # noqa: PLW1509 - PDEATHSIG has to be set in the child
            )
        _register(self.popen.pid)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    def poll(self) -> int | None:
        return self.popen.poll()

    def send_signal(self, sig: int) -> None:
        """Signal the process itself (not its group: the parent forwards to its workers, as gst does)."""
        self.popen.send_signal(sig)

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def output(self) -> str:
        """What the process printed, for failure messages."""
        name = " ".join(self.command[2:] if self.command[1:2] == ["-m"] else self.command)[:300]
        return f"--- {name} (exit {self.returncode})\nstdout:\n{self.stdout[-4000:]}\nstderr:\n{self.stderr[-6000:]}"

    def activity(self) -> tuple[object, ...]:
        """Anything that changes while the process works: its session's CPU time, its output, the files it writes."""
        ticks = sum(s.ticks for s in members(self.pid))
        logs = (self.out_path.stat().st_size, self.err_path.stat().st_size)
        return ticks, logs, _files(self.watch) if self.watch else ()

    def wait_for(self, predicate: Callable[[], object], what: str, idle: float = IDLE, cap: float = CAP) -> None:
        """Until `predicate()` holds (exceptions count as not yet); fails if the process ends first, or shows no
        progress for `idle` seconds."""
        began = quiet_since = time.monotonic()
        last = self.activity()
        while True:
            with contextlib.suppress(Exception):
                if predicate():
                    return
            if self.poll() is not None:
                with contextlib.suppress(Exception):
                    if predicate():
                        return
                raise AssertionError(f"the process ended before {what}\n{self.output()}")
            time.sleep(POLL)
            now = time.monotonic()
            current = self.activity()
            if current != last:
                last, quiet_since = current, now
            elif now - quiet_since > idle:
                raise AssertionError(f"no progress for {idle:g} s while waiting for {what}\n{self.output()}")
            if now - began > cap:
                raise AssertionError(f"still waiting for {what} after {cap:g} s\n{self.output()}")

    def wait(self, idle: float = IDLE, cap: float = CAP) -> int:
        """The exit code, waiting as long as the process makes progress."""
        self.wait_for(lambda: self.poll() is not None, "its exit", idle, cap)
        return int(self.popen.wait())

    def end(self) -> None:
        """End the process and everything in its session (workers included, even if the parent is gone)."""
        end_session(self.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


def gst_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "gst.tui", *args]


def gst_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment; GST_HANDLE_SIGINT=1 because tests stop gst with SIGINT, as the TUI's launcher."""
    return {**os.environ, "GST_HANDLE_SIGINT": "1", **(extra or {})}


class Processes:
    """The children one test started, ended together when it ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Proc] = []

    def start(self, command: list[str], **kwargs: object) -> Proc:
        proc = Proc(command, self.folder / "logs", **kwargs)  # type: ignore[arg-type]  # keyword arguments of Proc
        self.started.append(proc)
        return proc

    def gst(
        self, *args: str, env: dict[str, str] | None = None, ignore_sigint: bool = False, watch: Path | None = None
    ) -> Proc:
        """`gst ARGS`; progress is also read from the files under `watch` (default: the test's folder)."""
        return self.start(
            gst_command(*args), env=gst_env(env), ignore_sigint=ignore_sigint, watch=watch or self.folder.parent
        )

    def python(self, *args: str, env: dict[str, str] | None = None) -> Proc:
        """`python ARGS`."""
        return self.start([sys.executable, *args], env={**os.environ, **(env or {})})

    def end_all(self) -> None:
        """End every process group; print their output (pytest shows it when the test failed)."""
        for proc in self.started:
            proc.end()
            print(proc.output())


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_gst(*args: str, logs: Path, env: dict[str, str] | None = None, idle: float = IDLE) -> Result:
    """`gst ARGS` to its end (as long as it makes progress); its process group is ended whatever happens."""
    proc = Proc(gst_command(*args), logs, env=gst_env(env), watch=logs.parent)
    try:
        code = proc.wait(idle)
        return Result(code, proc.stdout, proc.stderr)
    finally:
        proc.end()
