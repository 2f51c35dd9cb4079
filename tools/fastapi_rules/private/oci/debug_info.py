"""Debug information stripped from the shared objects of a layer.

manylinux wheels often ship their extension modules with DWARF sections (uvloop's
loop.so is 16 MB with them, 2 MB without). A production image has no debugger to read
them, and they dominate its size. binutils' ``strip --strip-debug`` removes only the
debug sections: the symbol table stays, so native backtraces still name functions.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from layer import Entry, Layer, LayerError

_ELF_MAGIC = b"\x7fELF"


def _is_shared_object(path: str) -> bool:
    name = path.rpartition("/")[2]
    return name.endswith(".so") or ".so." in name


def strip_debug_info(layer: Layer) -> int:
    """Strips every ELF shared object of the layer in place; returns the bytes saved."""
    candidates = [
        entry
        for path, entry in layer.entries.items()
        if entry.kind == tarfile.REGTYPE and _is_shared_object(path)
    ]
    if not candidates:
        return 0
    strip = shutil.which("strip")
    if strip is None:
        raise LayerError(
            "strip is not installed (it comes with binutils: apt-get install binutils); "
            "or turn strip_debug off for this layer"
        )
    saved = 0
    with tempfile.TemporaryDirectory() as scratch:
        for entry in candidates:
            with entry.open() as stream:
                original = stream.read()
            if not original.startswith(_ELF_MAGIC):
                continue
            source, target = Path(scratch, "in.so"), Path(scratch, "out.so")
            source.write_bytes(original)
            result = subprocess.run(
                [strip, "--strip-debug", "-o", str(target), str(source)],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise LayerError(
                    f"{entry.path}: strip --strip-debug failed: {result.stderr.strip()}"
                )
            stripped = target.read_bytes()
            saved += len(original) - len(stripped)
            layer.add(
                Entry(
                    entry.path, tarfile.REGTYPE, entry.mode, entry.uid, entry.gid, content=stripped
                )
            )
    return saved
