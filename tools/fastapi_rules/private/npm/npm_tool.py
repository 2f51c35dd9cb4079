"""Build actions of the npm rules: lay out node_modules from locked npm tarballs.

What npm's installer does with a tarball, minus install scripts: unpack it without its top
directory (``package/`` in nearly every tarball) at the package's path of the lock, keep
regular files and directories only (npm drops symbolic and hard links, devices, FIFOs),
and give files mode 0644, or 0755 when executable in the tarball.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
from pathlib import Path, PurePosixPath


class NpmError(Exception):
    pass


def _inside(path: str) -> PurePosixPath | None:
    """A member's path below the tarball's top directory; None for the top itself."""
    parts = [part for part in PurePosixPath(path).parts if part not in ("", ".")]
    if not parts:
        return None
    if PurePosixPath(path).is_absolute() or ".." in parts:
        raise NpmError(f"member {path!r} leaves the package")
    return PurePosixPath(*parts[1:]) if len(parts) > 1 else None


def unpack(tarball: Path, destination: Path) -> int:
    """Unpacks an npm tarball into ``destination``; returns the number of files."""
    files = 0
    try:
        with tarfile.open(tarball, "r:*") as archive:
            for member in archive:
                inside = _inside(member.name)
                if inside is None:
                    continue
                target = destination / inside
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    assert source is not None
                    with source, target.open("wb") as out:
                        shutil.copyfileobj(source, out)
                    target.chmod(0o755 if member.mode & 0o111 else 0o644)
                    files += 1
    except (tarfile.TarError, EOFError, OSError) as error:
        raise NpmError(f"{tarball}: {error}") from error
    return files


def node_modules(packages: list[tuple[str, Path]], output: Path) -> int:
    """Lays out each (lock path, tarball) under ``output``, itself the lock's top
    ``node_modules``; parents first, so a nested package lands inside its parent."""
    total = 0
    output.mkdir(parents=True, exist_ok=True)
    for lock_path, tarball in sorted(packages, key=lambda item: item[0].count("/")):
        relative = PurePosixPath(lock_path)
        if relative.parts[:1] != ("node_modules",) or ".." in relative.parts:
            raise NpmError(f"{lock_path}: not a path under node_modules/")
        destination = output.joinpath(*relative.parts[1:])
        destination.mkdir(parents=True, exist_ok=True)
        total += unpack(tarball, destination)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    layout = commands.add_parser("node-modules", help="lay out node_modules")
    layout.add_argument(
        "--package",
        nargs=2,
        action="append",
        default=[],
        metavar=("LOCK_PATH", "TARBALL"),
        help='a package\'s path in the lock ("node_modules/a") and its tarball',
    )
    layout.add_argument("--output", type=Path, required=True, help="the node_modules directory")
    args = parser.parse_args(argv)
    try:
        node_modules([(path, Path(tarball)) for path, tarball in args.package], args.output)
    except NpmError as error:
        print(f"npm_tool {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
