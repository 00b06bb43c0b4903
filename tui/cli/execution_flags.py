"""The options every command that trains shares (`gst run preset|spec`, `gst resume`), declared once.

`@execution_options` appends them to a Typer command's signature and hands the command one `ExecutionArgs`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from gst.tui.cli.options import DEFAULT_DB, DataDirOption, DbOption, DeviceOption


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionArgs:
    """Where and how a sweep's runs execute, as the user asked."""

    db: Path = DEFAULT_DB
    device: str = "auto"
    data_dir: Path | None = None
    keep_checkpoints: bool = False
    workers: int | None = None
    gpus: str | None = None
    stack_seeds: int | None = None
    checkpoint_every: str = "60s"
    backend: str = "local"
    address: str = "auto"
    gpus_per_stack: float = 0.0
    cpus_per_stack: float = 1.0
    max_attempts: int = 3
    checkpoint_dir: Path | None = None


OPTIONS: dict[str, Any] = {
    "db": DbOption,
    "device": DeviceOption,
    "data_dir": DataDirOption,
    "keep_checkpoints": Annotated[
        bool, typer.Option("--keep-checkpoints", help="Keep each run's last checkpoint after it completes.")
    ],
    "workers": Annotated[
        int | None,
        typer.Option("--workers", help="Runs trained at once in worker processes (CPU default: one per core)."),
    ],
    "gpus": Annotated[
        str | None, typer.Option("--gpus", help="Comma-separated GPU indices: one worker per GPU, e.g. 0,1.")
    ],
    "stack_seeds": Annotated[
        int | None,
        typer.Option(
            "--stack-seeds",
            help="Seeds of one arm trained as one stacked network (default: 1 on CPU; on a GPU, up to 16, "
            "until the stacked stack reaches ~1024 images).",
        ),
    ],
    "checkpoint_every": Annotated[
        str,
        typer.Option(
            "--checkpoint-every",
            help="Write checkpoints every N epochs (5) or every time span (90s, 2m); also at an interruption "
            "and, with --keep-checkpoints, at the end.",
        ),
    ],
    "backend": Annotated[str, typer.Option("--backend", help="local (this machine) or ray (a Ray cluster).")],
    "address": Annotated[
        str,
        typer.Option(
            "--address",
            help="--backend ray: the cluster, auto (RAY_ADDRESS or a cluster started on this machine), "
            "HOST:PORT, or local (start one here).",
        ),
    ],
    "gpus_per_stack": Annotated[
        float, typer.Option("--gpus-per-stack", help="--backend ray: GPUs each seed stack takes (0: train on CPU).")
    ],
    "cpus_per_stack": Annotated[
        float, typer.Option("--cpus-per-stack", help="--backend ray: CPUs each seed stack takes (its torch threads).")
    ],
    "max_attempts": Annotated[
        int,
        typer.Option(
            "--max-attempts", help="Times a stack is tried when its worker or node dies (it resumes each time)."
        ),
    ],
    "checkpoint_dir": Annotated[
        Path | None,
        typer.Option(
            "--checkpoint-dir",
            help="Where checkpoints go (default: beside the database); with --backend ray, storage every node "
            "sees at the same path.",
        ),
    ],
}


def execution_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the shared options to `command`, which receives them as `ex: ExecutionArgs`."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "ex"]
    defaults = {f.name: f.default for f in fields(ExecutionArgs)}
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name], annotation=annotation)
        for name, annotation in OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        ex = ExecutionArgs(**{name: kwargs.pop(name) for name in OPTIONS if name in kwargs})
        command(*args, ex=ex, **kwargs)

    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        if p.kind == p.POSITIONAL_OR_KEYWORD and p.default is not p.empty
        else p
        for p in own
    ]
    wrapper.__signature__ = inspect.Signature(params + shared)  # type: ignore[attr-defined]
    return wrapper
