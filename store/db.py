"""Opening the DuckDB file: short-lived connections, retried with backoff while another process holds it.

DuckDB lets one process write and locks every other process out while it does, so gst never keeps
the file open: writers open, flush and close; readers do the same for each query.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from gst.engine.spec.errors import StoreError
from gst.store.health import DAMAGE, check_contents, check_path, damaged
from gst.store.interrupts import interruptible


class StoreBusyError(StoreError):
    """Another process held the database file for longer than we waited."""


DuckConfig = dict[str, str | bool | int | float | list[str]]  # duckdb.connect(config=...)
SAME_FILE_OTHER_MODE = "different configuration than existing connections"
_MIGRATED: set[Path] = set()  # files this process has already brought up to date
_CHECKED: dict[Path, int | None] = {}  # files whose contents this process has checked, with their schema version


def files_dir(db_path: Path) -> Path:
    """The folder beside the database holding checkpoints and write journals."""
    return db_path.with_name(db_path.name + ".d")


def _connect(
    path: Path, read_only: bool, timeout: float, config: DuckConfig | None = None
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                if "not a valid DuckDB database" in text:
                    raise StoreError(
                        f"{path}: not a DuckDB database file (corrupt or another format); use another --db"
                    ) from None
                raise damaged(path, exc) from None
            if time.monotonic() + delay > deadline:
                raise StoreBusyError(
                    f"{path}: another process keeps the database locked (waited {timeout:.0f} s)"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.ConnectionException as exc:
            # this process holds the file open in another mode (the app records a launch while a screen reads,
            # a sandboxed query while a poll reads): connections are short, so wait for it like for a lock
            if SAME_FILE_OTHER_MODE not in str(exc) or time.monotonic() + delay > deadline:
                raise StoreError(f"{path}: cannot open database ({str(exc).splitlines()[0]})") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise StoreError(f"{path}: cannot open database ({str(exc).splitlines()[0]})") from None


def require_database(path: Path) -> None:
    """StoreError unless `path` is an existing file (every reading command says the same)."""
    if path.is_dir():
        raise StoreError(f"{path}: is a folder, not a database file; give a .duckdb file as --db")
    if not path.is_file():
        raise StoreError(f"{path}: no database here (run `gst run preset smoke` first, or pass --db / GST_DB)")


@contextlib.contextmanager
def reading(path: Path, timeout: float = 10.0, config: DuckConfig | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to an existing gst database (with extra DuckDB settings, if given)."""
    require_database(path)
    up_to_date(path, timeout)
    with interruptible():
        conn = _connect(path, read_only=True, timeout=timeout, config=config)
        try:
            yield conn
        except DAMAGE as exc:  # a block the checks could not see missing (or garbled) when a query reaches it
            raise damaged(path, exc) from None
        finally:
            conn.close()


def check_database(path: Path, write: bool, timeout: float = 10.0) -> None:
    """StoreError (one line) unless `path` is a gst database this gst can trust, or nothing yet (then a writer
    creates it): not a folder, another format, a damaged or cut file, a newer schema, nor (`write`) read-only."""
    check_path(path, write)
    if path.is_file():
        _trusted_version(path, timeout)


def _trusted_version(path: Path, timeout: float) -> int | None:
    """The schema version of an existing file, after its contents were checked (once per process)."""
    key = path.resolve()
    if key in _CHECKED:
        return _CHECKED[key]
    latest = max(version for version, _, _ in migrations())
    with interruptible():
        conn = _connect(path, read_only=True, timeout=timeout)
        try:
            version = check_contents(conn, path, latest)
        finally:
            conn.close()
    _CHECKED[key] = version
    return version


def up_to_date(path: Path, timeout: float = 10.0) -> None:
    """Check a database before reading it, and migrate one that an older gst wrote, once per process, so that
    readers see today's schema.

    Readers open read-only and cannot migrate; without this, a read of a new column in an old file was a
    binder error. A file that cannot be written is named in one line instead.
    """
    key = path.resolve()
    if key in _MIGRATED:
        return
    check_path(path, write=False)
    latest = max(version for version, _, _ in migrations())
    version = _trusted_version(path, timeout)
    if version is not None and version >= latest:
        _MIGRATED.add(key)
        return
    try:
        with writing(path, timeout=timeout):
            pass
    except StoreError as exc:
        raise StoreError(
            f"{path}: written by an older gst (schema {version}, this gst reads {latest}) and not updatable: {exc}"
        ) from None


def check_writable(path: Path) -> None:
    """StoreError, before anything is created, if the database or its files folder could not be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"{path}: folder {folder} cannot be written; use another --db")
    files = files_dir(path)
    if files.exists() and not files.is_dir():
        raise StoreError(
            f"{path}: {files} is a file, but gst keeps journals and checkpoints there; move it or use another --db"
        )


@contextlib.contextmanager
def writing(path: Path, timeout: float = 2.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the schema migrated, inside one transaction."""
    if path.parent and not path.parent.exists():
        raise StoreError(f"{path}: folder {path.parent} does not exist")
    fresh = not path.exists()
    if fresh:
        check_writable(path)
    else:
        check_database(path, write=True, timeout=timeout)
    with interruptible():
        conn = _connect(path, read_only=False, timeout=timeout)
        try:
            if fresh or path.resolve() not in _MIGRATED:
                migrate(conn)
                _MIGRATED.add(path.resolve())
                _CHECKED.pop(path.resolve(), None)
            conn.begin()
            yield conn
            conn.commit()
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error, RuntimeError):
                conn.rollback()
            if isinstance(exc, DAMAGE):
                raise damaged(path, exc) from None
            raise
        finally:
            conn.close()


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, in order."""
    root = resources.files("gst.store").joinpath("migrations")
    found = []
    for item in root.iterdir():
        if item.name.endswith(".sql"):
            version = int(item.name.split("_", 1)[0])
            found.append((version, item.name, item.read_text()))
    return sorted(found)


def migrate(conn: duckdb.DuckDBPyConnection) -> None:
    """Apply pending migrations, each in its own transaction, recording them in schema_migrations."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, name, sql in migrations():
        if version in done:
            continue
        conn.begin()
        conn.execute(sql)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        conn.commit()
