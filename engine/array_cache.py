"""A disk cache for generated data sets, so that every process does not make them again.

Generating the synthetic set costs about 1.2 s of CPU, in every process that trains on it (each worker, each
resumed run, each test). Its arrays are written once, atomically, as an uncompressed `.npz` (no pickles) with a
SHA-256 of their bytes, and read back in a few milliseconds. A file that is unreadable, of the wrong shape or
whose digest does not match is ignored and replaced; a cache folder that cannot be written is not an error (the
arrays are just made again). `GST_CACHE_DIR` names the folder, else `$XDG_CACHE_HOME/gst`, else `~/.cache/gst`;
`GST_CACHE_DIR=off` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

Arrays = dict[str, np.ndarray]  # by name


def cache_dir() -> Path | None:
    """Where generated arrays are kept (None: the cache is off)."""
    chosen = os.environ.get("GST_CACHE_DIR", "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gst"


def digest(arrays: Arrays) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes."""
    sha = hashlib.sha256()
    for name, array in sorted(arrays.items()):
        sha.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()


def cached_arrays(key: str, make: Callable[[], Arrays]) -> Arrays:
    """The arrays cached under `key` (a file name stem that names every input of `make`), else `make()`'s,
    which are then cached."""
    folder = cache_dir()
    if folder is None:
        return make()
    path = folder / f"{key}.npz"
    found = _read(path)
    if found is not None:
        return found
    arrays = make()
    _write(path, arrays)
    return arrays


def _read(path: Path) -> Arrays | None:
    """The arrays in `path` if it is whole and its digest matches, else None."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    stored = arrays.pop("sha256", None)
    if stored is None or str(stored) != digest(arrays):
        return None
    return arrays


def _write(path: Path, arrays: Arrays) -> None:
    """Write atomically (a temporary file renamed over `path`); a folder that cannot be written is skipped."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, **arrays, sha256=np.array(digest(arrays)))  # type: ignore[arg-type]  # numpy's stub: **kwds vs allow_pickle
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
