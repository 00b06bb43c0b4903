"""A sweep launched in the background: the `gst run` / `gst resume` process the app starts, made in one place.

The app never trains in its own process (training would take the GIL from the interface); it starts the same
runner the CLI uses, as a child process that writes the database exactly as a headless run does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HANDLE_SIGINT = "GST_HANDLE_SIGINT"  # set for a child that its parent stops with SIGINT (see cli.options)


def run_arguments(
    target: list[str], db: Path, sweep_id: str, *, device: str = "auto", seeds: str = "", arms: str = "",
    data_dir: str = "",
) -> list[str]:  # fmt: skip
    """`gst run <target> …` for a new sweep (target: ["preset", NAME] or ["spec", FILE])."""
    args = ["run", *target, "--db", str(db), "--device", device, "--sweep-id", sweep_id]
    args += ["--seeds", seeds] if seeds else []
    args += ["--arms", arms] if arms else []
    args += ["--data-dir", data_dir] if data_dir else []
    return args


def resume_arguments(db: Path, sweep_id: str, device: str = "auto") -> list[str]:
    """`gst resume SWEEP_ID` on the same database."""
    return ["resume", sweep_id, "--db", str(db), "--device", device]


def child_command(arguments: list[str]) -> tuple[list[str], dict[str, str]]:
    """The program, its arguments and environment for a background sweep (it stops on SIGINT)."""
    return [sys.executable, "-m", "gst.tui", *arguments], {**os.environ, HANDLE_SIGINT: "1"}


def probe_command(spec_json: str, device: str, threads: int) -> list[str]:
    """The process that times a few steps of a spec's training and testing here (`gst.engine.bench.epoch_probe`)."""
    return [sys.executable, "-m", "gst.engine.bench.epoch_probe", spec_json, device, str(threads)]
