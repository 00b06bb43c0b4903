"""Layers stay separate: specs, plans and events load without torch; the engine never imports UI or DB code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_every_spec_module_loads_without_torch() -> None:
    names = sorted(p.stem for p in (ROOT / "engine" / "spec").glob("*.py") if p.stem != "__init__")
    loaded = modules_after("import " + ", ".join(f"gst.engine.spec.{n}" for n in names))
    assert not loaded & {"torch", "numpy", "duckdb", "textual", "typer", "rich"}


def test_the_command_line_and_the_backend_registry_load_without_torch_or_textual() -> None:
    loaded = modules_after("import gst.tui.entry, gst.engine.execution.backend, gst.tui.runner.sweep")
    assert not loaded & {"torch", "textual", "ray", "scipy"}


def test_store_queries_do_not_import_torch_or_ui() -> None:
    loaded = modules_after("import gst.store.queries, gst.store.writer")
    assert not loaded & {"torch", "textual", "typer"}


def imported_names(folder: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
    return names


def test_engine_knows_nothing_of_store_or_ui() -> None:
    forbidden = ("duckdb", "textual", "typer", "rich", "gst.store", "gst.tui")
    assert not {n for n in imported_names("engine") if n.startswith(forbidden)}


def test_store_knows_nothing_of_ui_or_torch() -> None:
    forbidden = ("textual", "typer", "rich", "torch", "gst.tui")
    assert not {n for n in imported_names("store") if n.startswith(forbidden)}


def test_the_engine_core_contract_lists_every_core_module() -> None:
    """A new module at the top of engine/ must join the core's contracts (so that it cannot import execution)."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (core,) = [c for c in contracts if c["name"].startswith("engine core:")]
    listed = {m.removeprefix("gst.engine.") for m in core["source_modules"]}
    on_disk = {p.stem for p in (ROOT / "engine").glob("*.py") if p.stem != "__init__"}
    assert on_disk <= listed, sorted(on_disk - listed)


def test_import_linter_contracts_hold() -> None:
    """The contracts in pyproject.toml (engine headless and store-free, store UI- and torch-free, tui > store > engine)."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert "broken" not in result.stdout.lower().split("contracts:")[-1].replace("0 broken", "")
