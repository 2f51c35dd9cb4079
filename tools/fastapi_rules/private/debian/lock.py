"""Resolves a Debian package list into a lock: what a ``debian_lock`` command runs.

Reads the suite's Packages index from the mirror this machine's apt uses (given as
FASTAPI_RULES_DEBIAN_MIRROR, which tools/bazel sets), follows Depends and Pre-Depends
to a closure, and writes each package's version, pool path and sha256. The mirror's host
is never written: the extension that downloads the files asks the machine again.

The lock also maps versioned library names (sonames, and the files they link to) to the
Debian packages that ship them in the loader's directories, read from the suite's
Contents index: every such name a locked package ships, and the libraries manylinux
wheels may assume a system has. oci_image's library check reads that table to name the
package that provides a missing library. (The Contents index follows point releases
less closely than Packages: a file name with a full version may be an older one.)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import sys
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MIRROR_ENV = "FASTAPI_RULES_DEBIAN_MIRROR"

# The libraries a manylinux wheel may link against without bundling them (the manylinux
# policies of PEP 600, as auditwheel applies them): the lock says which package ships each,
# locked or not, so a check can name the package to add when a wheel needs one.
MANYLINUX_SONAMES = frozenset(
    {
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libc.so.6",
        "libutil.so.1",
        "libpthread.so.0",
        "libresolv.so.2",
        "libz.so.1",
        "libexpat.so.1",
        "libX11.so.6",
        "libXext.so.6",
        "libXrender.so.1",
        "libICE.so.6",
        "libSM.so.6",
        "libGL.so.1",
        "libgobject-2.0.so.0",
        "libgthread-2.0.so.0",
        "libglib-2.0.so.0",
    }
)

# Debian's multiarch triplet of each architecture the lock may be made for.
MULTIARCH = {"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}

# A versioned shared library name (libz.so.1, ld-linux-x86-64.so.2): what DT_NEEDED holds.
_SONAME = re.compile(r"[^/]+\.so(\.[0-9]+)+")


class ResolveError(Exception):
    pass


@dataclass(frozen=True)
class Stanza:
    name: str
    version: str
    architecture: str
    filename: str
    sha256: str
    size: int
    depends: tuple[tuple[str, ...], ...]
    provides: tuple[str, ...]


def parse_stanzas(text: str) -> Iterator[dict[str, str]]:
    """Fields of each paragraph of a deb822 file; continuation lines are joined."""
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, key = {}, None
        elif line[0] in " \t" and key:
            fields[key] += "\n" + line.strip()
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    if fields:
        yield fields


def _names(relation: str) -> tuple[tuple[str, ...], ...]:
    """'a (>= 1), b:any | c' -> (('a',), ('b', 'c')): alternatives of each dependency."""
    groups = []
    for group in relation.split(","):
        alternatives = tuple(
            re.split(r"[\s(:\[]", alternative.strip(), maxsplit=1)[0]
            for alternative in group.split("|")
            if alternative.strip()
        )
        if alternatives:
            groups.append(alternatives)
    return tuple(groups)


def read_index(text: str) -> dict[str, Stanza]:
    packages = {}
    for fields in parse_stanzas(text):
        relation = ", ".join(f for f in (fields.get("Pre-Depends"), fields.get("Depends")) if f)
        packages[fields["Package"]] = Stanza(
            name=fields["Package"],
            version=fields["Version"],
            architecture=fields["Architecture"],
            filename=fields["Filename"],
            sha256=fields["SHA256"],
            size=int(fields["Size"]),
            depends=_names(relation),
            provides=tuple(a for (a, *_) in _names(fields.get("Provides", ""))),
        )
    return packages


def resolve(index: dict[str, Stanza], roots: list[str], excluded: set[str]) -> list[Stanza]:
    """The dependency closure of ``roots``; the first available alternative wins."""
    providers: dict[str, list[str]] = {}
    for stanza in index.values():
        for virtual in stanza.provides:
            providers.setdefault(virtual, []).append(stanza.name)

    def candidates(name: str) -> list[str]:
        return [name] if name in index else sorted(providers.get(name, []))

    chosen: dict[str, Stanza] = {}
    pending = [(root,) for root in roots]
    while pending:
        alternatives = pending.pop()
        if any(a in excluded for a in alternatives):
            continue
        options = [c for a in alternatives for c in candidates(a)]
        if not options:
            raise ResolveError(f"no package provides {' | '.join(alternatives)}")
        if any(option in chosen for option in options):
            continue
        stanza = index[options[0]]
        chosen[stanza.name] = stanza
        pending.extend(stanza.depends)
    return sorted(chosen.values(), key=lambda s: s.name)


def read_package_list(path: Path) -> tuple[list[str], set[str]]:
    roots, excluded = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("!"):
            excluded.add(line[1:])
        elif line:
            roots.append(line)
    return roots, excluded


def library_dirs(architecture: str) -> frozenset[str]:
    """Directories in which a package's file is a library found by soname: the loader's
    default search path on Debian, and /usr/lib64 where the x86_64 loader itself lives."""
    triplet = MULTIARCH.get(architecture, f"{architecture}-linux-gnu")
    return frozenset({f"usr/lib/{triplet}", f"lib/{triplet}", "usr/lib", "lib", "usr/lib64"})


def read_sonames(
    contents: Iterable[str], locked: set[str], architecture: str
) -> dict[str, list[str]]:
    """Soname -> the packages shipping it, from Contents index lines ("PATH  SECTION/PKG,...").

    Kept: the manylinux sonames, and every soname a package in ``locked`` ships (with all
    its providers, so the table shows alternatives too).
    """
    directories = library_dirs(architecture)
    providers: dict[str, set[str]] = {}
    for line in contents:
        fields = line.rsplit(maxsplit=1)
        if len(fields) != 2:
            continue
        path, owners = fields
        directory, _, name = path.lstrip("/").rpartition("/")
        if directory not in directories or not _SONAME.fullmatch(name):
            continue
        packages = {owner.rpartition("/")[2] for owner in owners.split(",") if owner}
        providers.setdefault(name, set()).update(packages)
    return {
        name: sorted(packages)
        for name, packages in sorted(providers.items())
        if name in MANYLINUX_SONAMES or packages & locked
    }


def fetch_index(mirror: str, suite: str, architecture: str) -> str:
    url = f"{mirror.rstrip('/')}/dists/{suite}/main/binary-{architecture}/Packages.xz"
    with urllib.request.urlopen(url, timeout=120) as response:
        return lzma.decompress(response.read()).decode("utf-8")


def fetch_contents(mirror: str, suite: str, architecture: str) -> Iterator[str]:
    """Lines of the suite's Contents index, streamed: it is 170 MB unpacked."""
    url = f"{mirror.rstrip('/')}/dists/{suite}/main/Contents-{architecture}.gz"
    with (
        urllib.request.urlopen(url, timeout=120) as response,
        io.TextIOWrapper(gzip.GzipFile(fileobj=response), encoding="utf-8") as lines,
    ):
        yield from lines


def lock_document(
    packages: list[Stanza],
    suite: str,
    architecture: str,
    list_sha256: str,
    sonames: dict[str, list[str]],
    relock_command: str,
) -> dict:
    return {
        "comment": f"Generated by {relock_command}. Do not edit.",
        "suite": suite,
        "architecture": architecture,
        "packages_txt_sha256": list_sha256,
        "packages": [
            {
                "name": s.name,
                "version": s.version,
                "architecture": s.architecture,
                "filename": s.filename,
                "sha256": s.sha256,
                "size": s.size,
            }
            for s in packages
        ],
        "sonames": sonames,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", required=True, help="the package list, from the workspace")
    parser.add_argument("--output", required=True, help="the lock file, from the workspace")
    parser.add_argument("--suite", default="trixie")
    parser.add_argument("--architecture", default="amd64")
    parser.add_argument(
        "--check", action="store_true", help="only report whether the lock is up to date"
    )
    parser.add_argument(
        "--relock-command", default="this lock's command", help="named in messages and the lock"
    )
    args = parser.parse_args(argv)

    workspace = Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    package_list = workspace / args.packages
    list_sha256 = hashlib.sha256(package_list.read_bytes()).hexdigest()
    if args.check:
        locked = json.loads((workspace / args.output).read_text(encoding="utf-8"))
        if locked.get("packages_txt_sha256") != list_sha256:
            print(
                f"lock: {args.packages} has changed since {args.output} was written; "
                f"relock with: {args.relock_command}",
                file=sys.stderr,
            )
            return 1
        if "sonames" not in locked:
            print(
                f"lock: {args.output} has no soname table (an older lock tool wrote it); "
                f"relock with: {args.relock_command}",
                file=sys.stderr,
            )
            return 1
        return 0

    mirror = os.environ.get(MIRROR_ENV)
    if not mirror:
        print(f"lock: {MIRROR_ENV} is not set; run this through tools/bazel", file=sys.stderr)
        return 1
    roots, excluded = read_package_list(package_list)
    try:
        index = read_index(fetch_index(mirror, args.suite, args.architecture))
        packages = resolve(index, roots, excluded)
        locked = {s.name for s in packages}
        contents = fetch_contents(mirror, args.suite, args.architecture)
        sonames = read_sonames(contents, locked, args.architecture)
    except (ResolveError, OSError, EOFError) as error:
        print(f"lock: {error}", file=sys.stderr)
        return 1
    document = lock_document(
        packages, args.suite, args.architecture, list_sha256, sonames, args.relock_command
    )
    (workspace / args.output).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    total = sum(s.size for s in packages) / 1e6
    print(
        f"lock: {len(packages)} packages ({total:.1f} MB of .deb files) and "
        f"{len(sonames)} sonames in {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
