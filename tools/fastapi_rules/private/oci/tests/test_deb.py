import io
import lzma
import tarfile
from pathlib import Path

import pytest
from deb import ar_members, rootfs, usr_merged
from layer import LayerError


def data_tar(entries: list[tuple[str, str, bytes | str]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, str(payload)
                tar.addfile(info)
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, str(payload)
                tar.addfile(info)
            else:
                assert isinstance(payload, bytes)
                info.size, info.mode = len(payload), 0o755 if kind == "exe" else 0o644
                tar.addfile(info, io.BytesIO(payload))
    return lzma.compress(buffer.getvalue())


def ar(members: list[tuple[str, bytes]]) -> bytes:
    out = b"!<arch>\n"
    for name, data in members:
        header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n"
        out += header.encode() + data + (b"\n" if len(data) % 2 else b"")
    return out


def make_deb(directory: Path, name: str, entries: list[tuple[str, str, bytes | str]]) -> Path:
    deb = directory / f"{name}.deb"
    deb.write_bytes(
        ar(
            [
                ("debian-binary", b"2.0\n"),
                ("control.tar.xz", lzma.compress(b"")),
                ("data.tar.xz", data_tar(entries)),
            ]
        )
    )
    return deb


def test_ar_members_handle_odd_sizes():
    members = list(ar_members(io.BytesIO(ar([("a", b"odd"), ("b", b"even")]))))
    assert members == [("a", b"odd"), ("b", b"even")]


def test_not_a_deb_is_refused():
    with pytest.raises(LayerError, match="not a Debian package"):
        list(ar_members(io.BytesIO(b"PK\x03\x04")))


def test_top_level_directories_move_under_usr():
    assert usr_merged("lib64/ld-linux-x86-64.so.2") == "usr/lib64/ld-linux-x86-64.so.2"
    assert usr_merged("bin") == "usr/bin"
    assert usr_merged("etc/bin/x") == "etc/bin/x"


def test_rootfs_does_what_maintainer_scripts_would(tmp_path):
    libc = make_deb(
        tmp_path,
        "libc6",
        [
            ("./lib64/", "dir", ""),
            ("./lib64/ld-linux-x86-64.so.2", "exe", b"ELF"),
            ("./usr/bin/", "dir", ""),
            ("./usr/bin/python3.13", "exe", b"python"),
            ("./usr/bin/python3.13-alias", "hard", "./usr/bin/python3.13"),
            ("./usr/share/doc/libc6/changelog.gz", "file", b"log"),
            ("./usr/share/doc/libc6/copyright", "file", b"(c)"),
        ],
    )
    certs = make_deb(
        tmp_path,
        "ca-certificates",
        [
            ("./usr/share/ca-certificates/mozilla/B.crt", "file", b"B\n"),
            ("./usr/share/ca-certificates/mozilla/A.crt", "file", b"A"),
        ],
    )
    layer = rootfs([libc, certs], 65532, "Etc/UTC", {"usr/bin/python3": "python3.13"})
    entries = layer.entries

    assert "usr/lib64/ld-linux-x86-64.so.2" in entries
    assert entries["lib64"].link == "usr/lib64"
    assert entries["bin"].link == "usr/bin"
    assert layer.read("usr/bin/python3.13-alias") == b"python"
    assert entries["usr/bin/python3"].link == "python3.13"
    assert "usr/share/doc/libc6/changelog.gz" not in entries
    assert layer.read("usr/share/doc/libc6/copyright") == b"(c)"
    assert b"nonroot:x:65532:65532:" in layer.read("etc/passwd")
    assert b"nonroot:x:65532:" in layer.read("etc/group")
    assert entries["home/nonroot"].uid == 65532
    assert entries["tmp"].mode == 0o1777
    assert entries["etc/localtime"].link == "/usr/share/zoneinfo/Etc/UTC"
    assert layer.read("etc/ssl/certs/ca-certificates.crt") == b"A\nB\n"


def test_excludes_leave_out_directories_and_single_files(tmp_path):
    server = make_deb(
        tmp_path,
        "postgresql-17",
        [
            ("./usr/lib/postgresql/17/lib/", "dir", ""),
            ("./usr/lib/postgresql/17/lib/plpgsql.so", "file", b"ELF"),
            ("./usr/lib/postgresql/17/lib/llvmjit.so", "file", b"ELF"),
            ("./usr/lib/postgresql/17/lib/bitcode/", "dir", ""),
            ("./usr/lib/postgresql/17/lib/bitcode/plpgsql.bc", "file", b"BC"),
        ],
    )
    layer = rootfs(
        [server],
        65532,
        "Etc/UTC",
        {},
        excludes=["usr/lib/postgresql/17/lib/llvmjit.so", "usr/lib/postgresql/17/lib/bitcode"],
    )

    assert "usr/lib/postgresql/17/lib/plpgsql.so" in layer.entries
    assert "usr/lib/postgresql/17/lib/llvmjit.so" not in layer.entries
    assert "usr/lib/postgresql/17/lib/bitcode/plpgsql.bc" not in layer.entries


def test_nonroot_directories_belong_to_the_nonroot_user(tmp_path):
    server = make_deb(
        tmp_path, "server", [("./var/lib/", "dir", ""), ("./var/lib/postgresql/", "dir", "")]
    )
    layer = rootfs([server], 65532, "Etc/UTC", {}, nonroot_directories=["var/lib/postgresql/"])

    data = layer.entries["var/lib/postgresql"]
    assert (data.uid, data.gid, data.mode) == (65532, 65532, 0o700)
