"""Python bytecode compiled into a layer at build time, bit for bit reproducible.

An image's file system is read-only to its user, so an interpreter that finds no
``__pycache__`` compiles every module it imports at every start (2.5-3 s for a FastAPI
service's imports, against 0.6 s with bytecode). The compileall module works on a
directory on disk; layers are built in memory, so the few lines of PEP 552 that write a
pyc are written here.

Reproducible because:
- pycs are hash-based and unchecked (PEP 552): no source mtime in the header, and the
  interpreter trusts them without reading the source again;
- each code object names its file by its path in the image, not the build's;
- string hashing is fixed (PYTHONHASHSEED=0): frozenset constants such as
  ``x in {"a", "b"}`` are marshalled in hash order. ``require_fixed_hash_seed`` checks it.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import tarfile
from collections.abc import Callable

from layer import Entry, Layer, LayerError

# PEP 552 flags: bit 0 says the pyc is hash-based; bit 1 (check_source) stays clear.
_UNCHECKED_HASH = (0b01).to_bytes(4, "little")


def require_fixed_hash_seed() -> None:
    """Re-runs this process with PYTHONHASHSEED=0 unless it already has it."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, sys.orig_argv, {**os.environ, "PYTHONHASHSEED": "0"})


def pyc(source: bytes, image_path: str) -> bytes | None:
    """The unchecked-hash pyc of ``source``, or None when it is not valid Python
    (test data and templates that happen to end in .py, as compileall skips them)."""
    try:
        code = compile(source, image_path, "exec", dont_inherit=True, optimize=0)
    except (SyntaxError, ValueError):
        return None
    return (
        importlib.util.MAGIC_NUMBER
        + _UNCHECKED_HASH
        + importlib.util.source_hash(source)
        + marshal.dumps(code)
    )


def python_version_of(path: str) -> str | None:
    """'3.13' for 'usr/lib/python3.13/json/__init__.py', else None."""
    for part in path.split("/"):
        if part.startswith("python3.") and part[len("python3.") :].isdigit():
            return part[len("python") :]
    return None


def add_bytecode(layer: Layer, selected: Callable[[str], bool] = lambda path: True) -> int:
    """Adds a ``__pycache__`` pyc beside every selected .py file; returns how many.

    Bytecode only loads in the interpreter version that wrote it: a file under a
    ``pythonX.Y`` directory of another version than this one is an error, not a silent
    no-op."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    sources = [
        entry
        for path, entry in layer.entries.items()
        if path.endswith(".py")
        and entry.kind == tarfile.REGTYPE
        and "/__pycache__/" not in path
        and selected(path)
    ]
    added = 0
    for entry in sources:
        version = python_version_of(entry.path)
        if version is not None and version != running:
            raise LayerError(
                f"{entry.path}: bytecode for Python {version} cannot be written by Python "
                f"{running}, which runs the build; turn bytecode off for this layer"
            )
        with entry.open() as stream:
            compiled = pyc(stream.read(), "/" + entry.path)
        if compiled is None:
            continue
        layer.add(
            Entry(
                importlib.util.cache_from_source(entry.path),
                tarfile.REGTYPE,
                0o644,
                content=compiled,
            )
        )
        added += 1
    return added
