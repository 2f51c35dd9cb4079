"""Deterministic layer tarballs: same entries in, same bytes out.

Entries are collected first and written sorted by path, each with a fixed mtime and
owner names removed, parents created as needed, and the result gzipped without a
timestamp or file name. Hard links become copies, so entry order never matters.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

# Same instant as SOURCE_DATE_EPOCH=0; nothing in an image depends on file times.
MTIME = 0
GZIP_LEVEL = 6
_COPY_CHUNK = 1 << 20


MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


class LayerError(Exception):
    pass


def glob_pattern(pattern: str) -> re.Pattern[str]:
    """A path pattern as a regular expression over "/"-separated relative paths: ``*``
    and ``?`` within one name, ``**`` across any number of directories (``a/**/b``,
    ``**/b``, ``a/**``)."""
    parts = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts))


@dataclass(frozen=True)
class Descriptor:
    """What an image manifest and config say of a layer, known once it is written: the
    image assembly reads this instead of hashing the layer again."""

    digest: str  # sha256 of the gzipped blob
    size: int
    diff_id: str  # sha256 of the uncompressed tar

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Descriptor:
        return cls(**json.loads(data))

    @classmethod
    def of_file(cls, layer: Path) -> Descriptor:
        """For a layer tarball written elsewhere (e.g. by another rule set)."""
        return cls(file_sha256(layer), layer.stat().st_size, diff_id(layer))


@dataclass(frozen=True)
class Entry:
    """One tar member. Exactly one of ``content``, ``source`` or ``link`` is used for
    files and symlinks; directories have none."""

    path: str
    kind: bytes  # tarfile.DIRTYPE, REGTYPE or SYMTYPE
    mode: int
    uid: int = 0
    gid: int = 0
    content: bytes | None = None
    source: Path | None = None
    link: str = ""

    def size(self) -> int:
        if self.kind != tarfile.REGTYPE:
            return 0
        if self.content is not None:
            return len(self.content)
        assert self.source is not None
        return self.source.stat().st_size

    def open(self) -> BinaryIO:
        if self.content is not None:
            return io.BytesIO(self.content)
        assert self.source is not None
        return self.source.open("rb")


def normalize_path(path: str) -> str:
    """'/usr//bin/./x' and 'usr/bin/x' are the same member: 'usr/bin/x'."""
    parts = [p for p in PurePosixPath("/", path).parts[1:] if p not in (".", "")]
    if ".." in parts:
        raise LayerError(f"{path}: paths in a layer may not contain '..'")
    return "/".join(parts)


class Layer:
    """The entries of one layer; a later entry for the same path replaces the earlier."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def add(self, entry: Entry) -> None:
        path = normalize_path(entry.path)
        if not path:
            return  # the root directory is implicit
        existing = self.entries.get(path)
        if existing and existing.kind == tarfile.DIRTYPE and entry.kind == tarfile.DIRTYPE:
            return  # two packages may both ship a directory; the first one's mode wins
        self.entries[path] = Entry(**{**entry.__dict__, "path": path})

    def directory(self, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        self.add(Entry(path, tarfile.DIRTYPE, mode, uid, gid))

    def file(self, path: str, content: bytes, mode: int = 0o644) -> None:
        self.add(Entry(path, tarfile.REGTYPE, mode, content=content))

    def copy(self, path: str, source: Path, mode: int | None = None) -> None:
        """Adds a file from disk; its mode is 0755 if executable, else 0644."""
        if mode is None:
            mode = 0o755 if source.stat().st_mode & 0o111 else 0o644
        self.add(Entry(path, tarfile.REGTYPE, mode, source=source))

    def copy_tree(self, path: str, source: Path, exclude: tuple[str, ...] = ()) -> None:
        """Adds every file and directory below ``source`` at ``path``, modes as copy()
        gives them. Links are followed: a sandbox stages a tree artifact's files as links
        to them (the trees the rules make hold no links of their own).

        ``exclude``: glob patterns (glob_pattern) of paths relative to ``source`` to leave
        out; a directory left out takes everything below it. A pattern that leaves out
        nothing is an error: it names what the tree no longer has (a package upgraded, a
        path misspelt), and the layer would silently keep what it was meant to drop."""
        patterns = {pattern: glob_pattern(pattern) for pattern in exclude}
        used: set[str] = set()
        dropped: list[str] = []
        self.directory(path)
        for found in sorted(source.rglob("*")):
            relative = found.relative_to(source).as_posix()
            if any(relative.startswith(prefix) for prefix in dropped):
                continue
            matched = [pattern for pattern, regex in patterns.items() if regex.fullmatch(relative)]
            if matched:
                used.update(matched)
                if found.is_dir():
                    dropped.append(relative + "/")
                continue
            destination = f"{path}/{relative}"
            if found.is_dir():
                self.directory(destination)
            elif found.is_file():
                self.copy(destination, found)
            else:
                raise LayerError(f"{found}: neither a file nor a directory (a dangling link?)")
        unused = [pattern for pattern in exclude if pattern not in used]
        if unused:
            raise LayerError(
                f"{path}: nothing in {source} matches the exclude pattern(s) "
                f"{', '.join(unused)}; remove them or correct them"
            )

    def symlink(self, path: str, target: str) -> None:
        self.add(Entry(path, tarfile.SYMTYPE, 0o777, link=target))

    def read(self, path: str) -> bytes:
        entry = self.entries[normalize_path(path)]
        with entry.open() as stream:
            return stream.read()

    def _with_parents(self) -> Iterator[Entry]:
        paths = set(self.entries)
        for path in list(self.entries):
            parent = PurePosixPath(path).parent
            while str(parent) != "." and str(parent) not in paths:
                paths.add(str(parent))
                yield Entry(str(parent), tarfile.DIRTYPE, 0o755)
                parent = parent.parent
        yield from self.entries.values()

    def write_tar(self, stream: BinaryIO) -> None:
        with tarfile.open(fileobj=stream, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for entry in sorted(self._with_parents(), key=lambda e: e.path):
                info = tarfile.TarInfo(entry.path + ("/" if entry.kind == tarfile.DIRTYPE else ""))
                info.type = entry.kind
                info.mode = entry.mode
                info.uid, info.gid = entry.uid, entry.gid
                info.uname = info.gname = ""
                info.mtime = MTIME
                info.linkname = entry.link
                info.size = entry.size()
                if entry.kind == tarfile.REGTYPE:
                    with entry.open() as content:
                        tar.addfile(info, content)
                else:
                    tar.addfile(info)

    def write(self, output: Path) -> Descriptor:
        """Writes the gzipped layer; returns its digest, size and diff ID, hashed as the
        bytes went by."""
        with output.open("wb") as raw:
            blob = _HashingWriter(raw)
            with gzip.GzipFile(
                filename="",
                mode="wb",
                fileobj=blob,  # type: ignore[arg-type]
                mtime=0,
                compresslevel=GZIP_LEVEL,
            ) as compressed:
                tar = _HashingWriter(compressed)
                self.write_tar(tar)  # type: ignore[arg-type]
        return Descriptor(
            digest="sha256:" + blob.sha256.hexdigest(),
            size=blob.size,
            diff_id="sha256:" + tar.sha256.hexdigest(),
        )


class _HashingWriter:
    """A write-only stream that hashes what passes through it."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.sink.write(data)

    def flush(self) -> None:
        self.sink.flush()

    def tell(self) -> int:
        return self.sink.tell()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_COPY_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def diff_id(layer: Path) -> str:
    """sha256 of a layer's uncompressed tar, whether it is gzipped or not."""
    digest = hashlib.sha256()
    with layer.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    with gzip.open(layer, "rb") if gzipped else layer.open("rb") as stream:
        while chunk := stream.read(_COPY_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()
