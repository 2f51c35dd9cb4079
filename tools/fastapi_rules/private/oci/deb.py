"""Debian packages into a root file system layer, without running maintainer scripts.

What the maintainer scripts and base system would have done is done here explicitly and
visibly: the merged-/usr layout, users and groups, the CA bundle, the time zone and /tmp.
"""

from __future__ import annotations

import io
import lzma
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from layer import Entry, Layer, LayerError, normalize_path

# Debian 13 is merged-/usr: these top-level directories are links into /usr.
MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

# Documentation is dead weight in an image; copyright notices stay (licences require it).
_DROPPED_PREFIXES = ("usr/share/man/", "usr/share/info/", "usr/share/lintian/", "usr/share/doc/")


def ar_members(stream: BinaryIO) -> Iterator[tuple[str, bytes]]:
    """Members of an ar archive, the container format of a .deb."""
    if stream.read(8) != b"!<arch>\n":
        raise LayerError("not a Debian package (no ar header)")
    while header := stream.read(60):
        if len(header) < 60:
            raise LayerError("truncated ar header")
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        data = stream.read(size)
        if size % 2:
            stream.read(1)
        yield name, data


def data_tar(deb: Path) -> tarfile.TarFile:
    with deb.open("rb") as stream:
        for name, data in ar_members(stream):
            if name == "data.tar.xz":
                return tarfile.open(fileobj=lzma.open(io.BytesIO(data)), mode="r|")
            if name in ("data.tar.gz", "data.tar"):
                return tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
            if name.startswith("data.tar"):
                raise LayerError(f"{deb.name}: {name} is compressed in a way not supported")
    raise LayerError(f"{deb.name}: no data.tar member")


def usr_merged(path: str) -> str:
    top, _, rest = path.partition("/")
    return f"usr/{top}/{rest}".rstrip("/") if top in MERGED_USR else path


def _kept(path: str, excludes: tuple[str, ...] = (), directory: bool = False) -> bool:
    """Whether a package's path goes into the layer. ``excludes`` end with "/": what is
    under them is left out, and so is a file (not a directory) named by one."""
    if path.startswith("usr/share/doc/"):
        return path.endswith("/copyright")
    if not directory and path + "/" in excludes:
        return False
    return not path.startswith(_DROPPED_PREFIXES + excludes)


def add_package(layer: Layer, deb: Path, excludes: tuple[str, ...] = ()) -> None:
    """Adds a package's files, keeping modes, owners and symbolic links, except paths
    under the ``excludes`` prefixes and files they name."""
    with data_tar(deb) as tar:
        for member in tar:
            path = usr_merged(normalize_path(member.name))
            if not path or not _kept(path, excludes, member.isdir()):
                continue
            if member.isdir():
                layer.directory(path, member.mode, member.uid, member.gid)
            elif member.issym():
                layer.symlink(path, member.linkname)
            elif member.islnk():
                # Hard links become copies so the layer's order can be a plain sort.
                target = usr_merged(normalize_path(member.linkname))
                layer.add(Entry(path, tarfile.REGTYPE, member.mode, content=layer.read(target)))
            elif member.isfile():
                content = tar.extractfile(member)
                assert content is not None
                layer.add(
                    Entry(
                        path,
                        tarfile.REGTYPE,
                        member.mode,
                        member.uid,
                        member.gid,
                        content=content.read(),
                    )
                )


def add_system_files(layer: Layer, nonroot_uid: int, timezone: str) -> None:
    """The parts of a Debian system that package maintainer scripts would create."""
    for top in MERGED_USR:
        if f"usr/{top}" in layer.entries:
            layer.symlink(top, f"usr/{top}")
    layer.file(
        "etc/passwd",
        (
            "root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"nonroot:x:{nonroot_uid}:{nonroot_uid}:nonroot:/home/nonroot:/usr/sbin/nologin\n"
        ).encode(),
    )
    layer.file("etc/group", f"root:x:0:\nnonroot:x:{nonroot_uid}:\n".encode())
    layer.directory("root", 0o700)
    layer.directory("home/nonroot", 0o755, nonroot_uid, nonroot_uid)
    layer.directory("tmp", 0o1777)
    layer.symlink("etc/localtime", f"/usr/share/zoneinfo/{timezone}")
    layer.file("etc/timezone", f"{timezone}\n".encode())
    certificates = sorted(
        path
        for path in layer.entries
        if path.startswith("usr/share/ca-certificates/") and path.endswith(".crt")
    )
    if certificates:
        # update-ca-certificates' output: every trusted certificate, concatenated.
        bundle = b"".join(layer.read(path).rstrip(b"\n") + b"\n" for path in certificates)
        layer.file("etc/ssl/certs/ca-certificates.crt", bundle)


def rootfs(
    debs: list[Path],
    nonroot_uid: int,
    timezone: str,
    symlinks: dict[str, str],
    excludes: list[str] | None = None,
    nonroot_directories: list[str] | None = None,
) -> Layer:
    layer = Layer()
    prefixes = tuple(normalize_path(prefix) + "/" for prefix in excludes or [])
    for deb in debs:
        add_package(layer, deb, prefixes)
    add_system_files(layer, nonroot_uid, timezone)
    # State the non-root user keeps (a database's data): a volume mounted there takes
    # the directory's owner and mode when the engine creates it.
    # A package's directory of that name is replaced (Layer.add keeps the first one).
    for path in nonroot_directories or []:
        layer.entries.pop(normalize_path(path), None)
        layer.directory(normalize_path(path), 0o700, nonroot_uid, nonroot_uid)
    for path, target in sorted(symlinks.items()):
        layer.symlink(path, target)
    return layer
