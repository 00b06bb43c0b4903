"""The flags of every command that trains (`gst run preset|spec`, `gst resume`), made from the typed option sets
of the execution layer: the shared `ExecutionOptions` and each registered backend's own.

`@execution_flags` appends them to a Typer command's signature and hands the command one `SweepSettings`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from gst.engine.execution.backend import BACKENDS, backend_options
from gst.engine.execution.options import ExecutionOptions, flag_fields
from gst.tui.cli.flags import DEFAULT_DB, DbOption, declared, guard
from gst.tui.runner.sweep import SweepSettings


def _declared_flags() -> list[tuple[str, Any, Any]]:
    """(name, annotation, default) of every flag: the shared ones, then each backend's."""
    flags = []
    for cls in (ExecutionOptions, *BACKENDS.values()):
        flags += [(f.name, declared(cls, f.name), f.default) for f in flag_fields(cls)]
    return flags


FLAGS = _declared_flags()


def settings_from(values: dict[str, Any]) -> SweepSettings:
    """The typed settings of one command line (a flag of a backend not chosen is one line, exit 1)."""
    shared = {f.name: values[f.name] for f in flag_fields(ExecutionOptions)}
    return SweepSettings(
        db=values["db"],
        execution=ExecutionOptions(**shared),
        backend=backend_options(shared["backend"], values),
    )


def execution_flags(command: Callable[..., None]) -> Callable[..., None]:
    """Add `--db` and the execution flags to `command`, which receives them as `settings: SweepSettings`."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "settings"]
    added = [("db", DbOption, DEFAULT_DB), *FLAGS]
    shared = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, a, d in added]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        values = {name: kwargs.pop(name) for name, _, _ in added if name in kwargs}
        with guard():
            settings = settings_from(values)
        command(*args, settings=settings, **kwargs)

    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        if p.kind == p.POSITIONAL_OR_KEYWORD and p.default is not p.empty
        else p
        for p in own
    ]
    wrapper.__signature__ = inspect.Signature(params + shared)  # type: ignore[attr-defined]  # Typer reads it
    return wrapper
