"""Shared library check of an OCI image: every ELF file finds what the loader must load.

Two steps, so that a changed layer is the only one read again:

- ``summarize LAYER --output SUMMARY.json``: the layer's files, directories, symbolic and
  hard links and whiteouts, and for each ELF executable or shared object its type,
  machine, program interpreter (PT_INTERP), DT_NEEDED, DT_RPATH and DT_RUNPATH.
- ``check --summary S1 --summary S2 ... --output REPORT``: applies the summaries in layer
  order as a container runtime applies layers (whiteouts hide lower layers' paths), then
  looks for each needed library as glibc's loader would, and fails naming every file whose
  interpreter or library is missing, with the Debian package that provides it when the
  Debian lock's soname table knows one.

The loader's search is modelled on what an image has: DT_RPATH (when there is no
DT_RUNPATH) or DT_RUNPATH, with $ORIGIN and $LIB expanded, then the loader's default
directories. There is no ld.so.cache in an image built from packages (ldconfig never ran)
and LD_LIBRARY_PATH is not read; a library found only through either would be reported.
"""

from __future__ import annotations

import argparse
import io
import json
import posixpath
import re
import struct
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError
from elftools.elf.elffile import ELFFile
from elftools.elf.segments import InterpSegment

SUMMARY_FORMAT = 1
ELF_MAGIC = b"\x7fELF"

# The glibc loader's compiled-in search path, by machine. Verified for Debian 13's glibc
# 2.41 (libc6 2.41-12+deb13u5, the base image's) with
# `tools/buildenv/run /usr/lib64/ld-linux-x86-64.so.2 --help`, which prints
# "/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib, /usr/lib (system search path)"
# after "(libraries located via /etc/ld.so.cache)". The glibc-hwcaps/x86-64-v{2,3,4}
# subdirectories it also tries are searched only on CPUs that have those features, so a
# library there alone is not counted as found. ELF files of other machines are data to an
# x86-64 image's loader and are not checked.
DEFAULT_DIRS = {"EM_X86_64": ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib", "usr/lib")}

# What the loader expands $LIB to, by machine: the same glibc, seen with LD_DEBUG=libs and
# LD_LIBRARY_PATH='/x/$LIB' ("/x/lib/x86_64-linux-gnu"). $PLATFORM depends on the CPU
# (haswell, ...): a path holding it cannot be checked and is skipped.
LIB_TOKEN = {"EM_X86_64": "lib/x86_64-linux-gnu"}

_MAX_SYMLINKS = 40  # the kernel's limit on links followed in one path lookup
_MAX_REPORTED = 40


class CheckError(Exception):
    pass


# ----------------------------------------------------------------------------- summarize


def normalize(name: str) -> str:
    """A tar member name as an image path without leading slash: './usr//lib/' -> 'usr/lib'."""
    path = posixpath.normpath("/" + name).lstrip("/")
    return "" if path == "." else path


def read_elf(data: bytes) -> dict[str, Any] | None:
    """Dynamic-loading facts of an ELF executable or shared object; None for other files.

    Read from program headers, as the loader does, so stripped section tables do not matter.
    """
    try:
        elf = ELFFile(io.BytesIO(data))
        kind = elf.header["e_type"]
        if kind not in ("ET_EXEC", "ET_DYN"):
            return None
        interpreter = None
        needed: list[str] = []
        rpath: list[str] = []
        runpath: list[str] = []
        for segment in elf.iter_segments():
            if isinstance(segment, InterpSegment):
                interpreter = segment.get_interp_name()
            elif segment.header["p_type"] == "PT_DYNAMIC":
                for tag in segment.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(tag.needed)
                    elif tag.entry.d_tag == "DT_RPATH":
                        rpath.extend(tag.rpath.split(":"))
                    elif tag.entry.d_tag == "DT_RUNPATH":
                        runpath.extend(tag.runpath.split(":"))
    except (ELFError, ConstructError, struct.error, ValueError, KeyError, OSError):
        # A truncated or foreign file that merely starts like ELF is nothing the loader maps.
        return None
    return {
        "type": kind,
        "machine": elf.header["e_machine"],
        "interpreter": interpreter,
        "needed": needed,
        "rpath": rpath,
        "runpath": runpath,
    }


def summarize(layer: IO[bytes]) -> dict[str, Any]:
    """The summary of one layer tarball (plain or gzipped), read as one stream."""
    entries: dict[str, dict[str, Any]] = {}
    whiteouts: list[str] = []
    opaque: list[str] = []
    with tarfile.open(fileobj=layer, mode="r|*") as tar:
        for member in tar:
            path = normalize(member.name)
            if not path:
                continue
            directory, _, base = path.rpartition("/")
            if base == ".wh..wh..opq":
                opaque.append(directory)
                continue
            if base.startswith(".wh."):
                whiteouts.append(posixpath.join(directory, base[len(".wh.") :]))
                continue
            entries.pop(path, None)  # a later member replaces an earlier one, kind and all
            if member.isdir():
                entries[path] = {"type": "dir"}
            elif member.issym():
                entries[path] = {"type": "symlink", "target": member.linkname}
            elif member.islnk():
                target = normalize(member.linkname)
                if entries.get(target, {}).get("type") == "file":
                    entries[path] = dict(entries[target])
                else:
                    entries[path] = {"type": "hardlink", "target": target}
            else:
                entry: dict[str, Any] = {"type": "file"}
                content = tar.extractfile(member) if member.isfile() else None
                if content is not None and (head := content.read(4)) == ELF_MAGIC:
                    elf = read_elf(head + content.read())
                    if elf is not None:
                        entry["elf"] = elf
                entries[path] = entry
    return {
        "format": SUMMARY_FORMAT,
        "entries": entries,
        "whiteouts": whiteouts,
        "opaque": opaque,
    }


# ----------------------------------------------------------------------------- the image


class FileSystem:
    """The merged root file system of an image's layers, as far as paths and ELF facts go."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}

    def resolve(self, path: str) -> str | None:
        """``path`` with every symbolic link followed; None if a component is missing."""
        pending = [part for part in reversed(path.split("/")) if part]
        current = ""
        hops = 0
        while pending:
            part = pending.pop()
            if part == ".":
                continue
            if part == "..":
                current = posixpath.dirname(current)
                continue
            candidate = f"{current}/{part}" if current else part
            node = self.nodes.get(candidate)
            if node is None:
                return None
            if node["type"] == "symlink":
                hops += 1
                if hops > _MAX_SYMLINKS:
                    return None
                target = node["target"]
                if target.startswith("/"):
                    current = ""
                pending.extend(part for part in reversed(target.split("/")) if part)
                continue
            if pending and node["type"] != "dir":
                return None
            current = candidate
        return current

    def _remove_tree(self, path: str) -> None:
        removed = self.nodes.pop(path, None)
        if removed is not None and removed["type"] == "dir":
            prefix = path + "/"
            for other in [p for p in self.nodes if p.startswith(prefix)]:
                del self.nodes[other]

    def _real_parent(self, path: str) -> str:
        """Where a layer's path lands: an existing parent is entered through its links."""
        directory, _, base = path.rpartition("/")
        if not directory:
            return path
        real = self.resolve(directory)
        if real is not None and (real == "" or self.nodes[real]["type"] == "dir"):
            return f"{real}/{base}" if real else base
        return path

    def _make_parents(self, path: str) -> None:
        parent = posixpath.dirname(path)
        while parent and self.nodes.get(parent, {}).get("type") != "dir":
            self.nodes[parent] = {"type": "dir"}
            parent = posixpath.dirname(parent)

    def apply(self, summary: dict[str, Any]) -> None:
        """Adds one layer: its whiteouts hide lower paths, then its entries are written."""
        if summary.get("format") != SUMMARY_FORMAT:
            raise CheckError(
                f"layer summary format {summary.get('format')!r} is not {SUMMARY_FORMAT}; "
                "rebuild the image so its layers are summarized again"
            )
        for directory in summary["opaque"]:
            real = self.resolve(directory) if directory else ""
            if real is not None:
                prefix = real + "/" if real else ""
                for other in [p for p in self.nodes if p.startswith(prefix) and p != real]:
                    del self.nodes[other]
        for hidden in summary["whiteouts"]:
            self._remove_tree(self._real_parent(hidden))
        for path, entry in summary["entries"].items():
            # An explicit directory replaces a link or file (overlay and tar extraction
            # alike), keeping a directory's contents; anything else replaces the path.
            target = self._real_parent(path)
            if entry["type"] == "dir" and self.nodes.get(target, {}).get("type") == "dir":
                continue
            if entry["type"] == "hardlink":
                linked = self.resolve(entry["target"])
                source = self.nodes.get(linked) if linked else None
                entry = dict(source) if source and source["type"] == "file" else {"type": "file"}
            self._remove_tree(target)
            self._make_parents(target)
            self.nodes[target] = entry

    def elf_files(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for path, node in sorted(self.nodes.items()):
            if node["type"] == "file" and "elf" in node:
                yield path, node["elf"]

    def is_file(self, path: str) -> bool:
        real = self.resolve(path)
        return real is not None and real != "" and self.nodes[real]["type"] == "file"


# ----------------------------------------------------------------------------- check


@dataclass
class Missing:
    path: str  # the ELF file, in the image
    what: str  # the soname, or the interpreter's path
    interpreter: bool = False


@dataclass
class SonameTable:
    """The Debian lock's soname -> packages table and its locked package names."""

    source: str = ""
    providers: dict[str, list[str]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path, source: str) -> SonameTable:
        lock = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            source=source,
            providers=lock.get("sonames", {}),
            locked={package["name"] for package in lock.get("packages", [])},
        )


def search_path(path: str, elf: dict[str, Any]) -> list[str]:
    """Directories the loader tries for the direct dependencies of ``path``, in order."""
    machine = elf["machine"]
    origin = posixpath.dirname("/" + path)
    entries = elf["runpath"] or elf["rpath"]
    directories = []
    for entry in entries:
        # Functions, not replacement strings: a path may hold backslashes.
        expanded = re.sub(r"\$(ORIGIN\b|\{ORIGIN\})", lambda _: origin, entry)
        expanded = re.sub(r"\$(LIB\b|\{LIB\})", lambda _: LIB_TOKEN[machine], expanded)
        # Relative entries are relative to the working directory, unknown here.
        if expanded.startswith("/") and "$" not in expanded:
            directories.append(expanded)
    return directories + ["/" + d for d in DEFAULT_DIRS[machine]]


def find_missing(image: FileSystem) -> list[Missing]:
    missing = []
    for path, elf in image.elf_files():
        if elf["machine"] not in DEFAULT_DIRS:
            continue
        if elf["interpreter"] and not image.is_file(elf["interpreter"]):
            missing.append(Missing(path, elf["interpreter"], interpreter=True))
        directories = None
        for soname in elf["needed"]:
            if "/" in soname:
                # A path, not a name to search; a relative one depends on the working directory.
                if soname.startswith("/") and not image.is_file(soname):
                    missing.append(Missing(path, soname))
                continue
            directories = directories or search_path(path, elf)
            if not any(image.is_file(posixpath.join(d, soname)) for d in directories):
                missing.append(Missing(path, soname))
    return missing


def advice(what: str, table: SonameTable) -> str:
    name = posixpath.basename(what)
    packages = table.providers.get(name, [])
    if not table.source:
        return (
            "set debian_lock on the oci_image or its base to have the Debian package that "
            "provides it named, and add that package to the base image"
        )
    if not packages:
        return (
            f"no Debian package in the soname table of {table.source} ships it: add the "
            "package that does to the base image's Debian packages and relock, or use a "
            "wheel that bundles it"
        )
    locked = [p for p in packages if p in table.locked]
    if locked:
        return (
            f"Debian package {locked[0]} provides it ({table.source} locks it): add "
            f"{locked[0]} to the Debian packages unpacked into the base image"
        )
    choice = " or ".join(packages)
    verb = "provides" if len(packages) == 1 else "provide"
    noun = "package" if len(packages) == 1 else "packages"
    return (
        f"Debian {noun} {choice} {verb} it (according to {table.source}): add "
        f"{packages[0]} to the base image's Debian packages and relock"
    )


def report(image_label: str, missing: list[Missing], table: SonameTable) -> str:
    lines = []
    for item in missing[:_MAX_REPORTED]:
        if item.interpreter:
            problem = f"has the program interpreter {item.what}, which is not in the image"
        else:
            problem = f"needs {item.what}, which is not in the image"
        lines.append(f"oci_image {image_label}: {item.path} {problem}; {advice(item.what, table)}")
    if len(missing) > _MAX_REPORTED:
        lines.append(
            f"oci_image {image_label}: and {len(missing) - _MAX_REPORTED} more missing libraries"
        )
    return "\n".join(lines)


def check(
    image_label: str, summaries: list[dict[str, Any]], table: SonameTable
) -> tuple[str | None, int]:
    """The failure message (None when every library is found) and how many ELF files."""
    image = FileSystem()
    for summary in summaries:
        image.apply(summary)
    missing = find_missing(image)
    checked = sum(1 for _ in image.elf_files())
    return (report(image_label, missing, table) if missing else None), checked


# ----------------------------------------------------------------------------- command


def write_summary(layer_path: Path, output: Path) -> None:
    with layer_path.open("rb") as layer:
        summary = summarize(layer)
    output.write_text(json.dumps(summary, sort_keys=True, separators=(",", ":")) + "\n")


def _summarize(args: argparse.Namespace) -> int:
    write_summary(args.layer, args.output)
    return 0


def _check(args: argparse.Namespace) -> int:
    table = SonameTable()
    if args.debian_lock:
        table = SonameTable.read(args.debian_lock, args.debian_lock_label or str(args.debian_lock))
    summaries = [json.loads(path.read_text()) for path in args.summary]
    message, checked = check(args.image, summaries, table)
    if message:
        print(message, file=sys.stderr)
        return 1
    layers = f"{len(summaries)} layer" + ("" if len(summaries) == 1 else "s")
    args.output.write_text(
        f"{args.image}: the interpreter and libraries of all {checked} ELF files "
        f"in {layers} are in the image\n"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    summarize_command = commands.add_parser("summarize", help="summarize one layer tarball")
    summarize_command.add_argument("layer", type=Path)
    summarize_command.add_argument("--output", type=Path, required=True)
    summarize_command.set_defaults(run=_summarize)

    check_command = commands.add_parser("check", help="check an image from its layer summaries")
    check_command.add_argument("--image", required=True, help="the image's label, for messages")
    check_command.add_argument("--summary", type=Path, action="append", default=[])
    check_command.add_argument("--debian-lock", type=Path, help="packages.lock.json")
    check_command.add_argument("--debian-lock-label", help="how messages name the lock")
    check_command.add_argument("--output", type=Path, required=True)
    check_command.set_defaults(run=_check)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CheckError, OSError, tarfile.TarError, json.JSONDecodeError) as error:
        print(f"library_check {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
