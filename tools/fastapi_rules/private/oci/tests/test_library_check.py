"""The library check: layer summaries, the merged image, the loader's search, messages."""

from __future__ import annotations

import io
import json
import struct
import tarfile
from pathlib import Path
from typing import Any

import pytest
from library_check import (
    CheckError,
    FileSystem,
    SonameTable,
    check,
    main,
    search_path,
    summarize,
)

LOADER = "/lib64/ld-linux-x86-64.so.2"
EM_X86_64 = 62
EM_AARCH64 = 183
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3


def elf(
    needed: tuple[str, ...] = (),
    *,
    runpath: str = "",
    rpath: str = "",
    interpreter: str = "",
    kind: int = ET_DYN,
    machine: int = EM_X86_64,
) -> bytes:
    """A minimal little-endian ELF64 file: PT_LOAD over everything, PT_INTERP, PT_DYNAMIC.

    The test's own input, so that DT_RUNPATH, DT_RPATH and PT_INTERP can be tried without
    a compiler; pyelftools, not this, is what reads ELF files in the check.
    """
    strings = bytearray(b"\0")

    def string(text: str) -> int:
        offset = len(strings)
        strings.extend(text.encode() + b"\0")
        return offset

    dynamic = [(1, string(name)) for name in needed]  # DT_NEEDED
    if rpath:
        dynamic.append((15, string(rpath)))  # DT_RPATH
    if runpath:
        dynamic.append((29, string(runpath)))  # DT_RUNPATH
    interp = interpreter.encode() + b"\0" if interpreter else b""
    headers = 2 + bool(interp)
    interp_offset = 64 + 56 * headers
    strtab_offset = interp_offset + len(interp)
    dynamic_offset = (strtab_offset + len(strings) + 7) & ~7
    dynamic += [(5, strtab_offset), (10, len(strings)), (0, 0)]  # DT_STRTAB, DT_STRSZ, DT_NULL
    dynamic_bytes = b"".join(struct.pack("<qQ", tag, value) for tag, value in dynamic)
    size = dynamic_offset + len(dynamic_bytes)

    def program_header(kind: int, offset: int, length: int) -> bytes:
        return struct.pack("<IIQQQQQQ", kind, 4, offset, offset, offset, length, length, 8)

    program = program_header(1, 0, size)  # PT_LOAD: addresses are file offsets
    if interp:
        program += program_header(3, interp_offset, len(interp))  # PT_INTERP
    program += program_header(2, dynamic_offset, len(dynamic_bytes))  # PT_DYNAMIC
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH", kind, machine, 1, 0, 64, 0, 0, 64, 56, headers, 64, 0, 0
    )
    data = header + program + interp + bytes(strings)
    return data + bytes(dynamic_offset - len(data)) + dynamic_bytes


def tar_layer(*members: tuple[str, bytes | str | None]) -> io.BytesIO:
    """A layer tarball: bytes are a file, "->target" a symlink, "=>target" a hard link,
    None a directory."""
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(content, str):
                info.type = tarfile.SYMTYPE if content.startswith("->") else tarfile.LNKTYPE
                info.linkname = content[2:]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    stream.seek(0)
    return stream


# A merged-/usr Debian base: glibc, the loader and a soname link, as debian_rootfs writes them.
BASE = tar_layer(
    ("usr/lib/x86_64-linux-gnu/libc.so.6", elf(("ld-linux-x86-64.so.2",), interpreter=LOADER)),
    ("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", elf()),
    ("usr/lib/x86_64-linux-gnu/libz.so.1.3.1", elf(("libc.so.6",))),
    ("usr/lib/x86_64-linux-gnu/libz.so.1", "->libz.so.1.3.1"),
    ("usr/lib64/ld-linux-x86-64.so.2", "->../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
    ("usr/bin/tool", elf(("libz.so.1", "libc.so.6"), interpreter=LOADER, kind=ET_EXEC)),
    ("lib", "->usr/lib"),
    ("lib64", "->usr/lib64"),
    ("bin", "->usr/bin"),
)

LOCK = SonameTable(
    source="//third_party/debian:packages.lock.json",
    providers={
        "libstdc++.so.6": ["libstdc++6"],
        "libX11.so.6": ["libx11-6"],
        "libfoo.so.1": ["libfoo1", "libfoo1-compat"],
        "libz.so.1": ["zlib1g"],
    },
    locked={"libc6", "zlib1g"},
)


def run(*layers: io.BytesIO, table: SonameTable = LOCK) -> tuple[str | None, int]:
    summaries = []
    for layer in layers:
        layer.seek(0)
        summaries.append(summarize(layer))
    return check("//pkg:image", summaries, table)


def problems(*layers: io.BytesIO, table: SonameTable = LOCK) -> list[str]:
    message, _ = run(*layers, table=table)
    return message.splitlines() if message else []


def test_summary_records_elf_facts_links_and_whiteouts():
    layer = tar_layer(
        ("./app/", None),
        ("app/ext.so", elf(("libfoo.so.1",), runpath="$ORIGIN/../app.libs:/opt/x")),
        ("app/copy.so", "=>app/ext.so"),
        ("app/link.so", "->ext.so"),
        ("app/data.txt", b"not ELF"),
        ("app/object.o", elf(kind=ET_REL)),
        ("app/truncated.so", b"\x7fELF\x02\x01"),
        ("usr/.wh.gone", b""),
        ("srv/.wh..wh..opq", b""),
    )
    summary = summarize(layer)
    entries: dict[str, Any] = summary["entries"]
    assert entries["app"] == {"type": "dir"}
    assert entries["app/ext.so"]["elf"] == {
        "type": "ET_DYN",
        "machine": "EM_X86_64",
        "interpreter": None,
        "needed": ["libfoo.so.1"],
        "rpath": [],
        "runpath": ["$ORIGIN/../app.libs", "/opt/x"],
    }
    assert entries["app/copy.so"] == entries["app/ext.so"]
    assert entries["app/link.so"] == {"type": "symlink", "target": "ext.so"}
    assert entries["app/data.txt"] == {"type": "file"}
    assert entries["app/object.o"] == {"type": "file"}
    assert entries["app/truncated.so"] == {"type": "file"}
    assert summary["whiteouts"] == ["usr/gone"]
    assert summary["opaque"] == ["srv"]


def test_executable_interpreter_and_rpath_are_read():
    layer = tar_layer(("bin/x", elf(("libc.so.6",), rpath="/opt/lib", interpreter=LOADER, kind=2)))
    fact = summarize(layer)["entries"]["bin/x"]["elf"]
    assert (fact["type"], fact["interpreter"], fact["rpath"]) == ("ET_EXEC", LOADER, ["/opt/lib"])


def test_base_finds_its_libraries_through_merged_usr_and_soname_links():
    message, checked = run(BASE)
    assert message is None
    assert checked == 4


def test_missing_library_names_file_soname_and_locked_package():
    app = tar_layer(("app/ext.so", elf(("libstdc++.so.6", "libz.so.1", "libc.so.6"))))
    # libstdc++6 is not locked in LOCK: the fix is to add it and relock.
    assert problems(BASE, app) == [
        "oci_image //pkg:image: app/ext.so needs libstdc++.so.6, which is not in the image; "
        "Debian package libstdc++6 provides it (according to "
        "//third_party/debian:packages.lock.json): add libstdc++6 to the base image's "
        "Debian packages and relock"
    ]


def test_locked_package_missing_from_the_image_is_named_as_locked():
    app = tar_layer(("app/ext.so", elf(("libz.so.1",))))
    whiteout = tar_layer(("usr/lib/x86_64-linux-gnu/.wh.libz.so.1.3.1", b""))
    assert problems(BASE, whiteout, app) == [
        f"oci_image //pkg:image: {path} needs libz.so.1, which is not in the image; "
        "Debian package zlib1g provides it (//third_party/debian:packages.lock.json locks it): "
        "add zlib1g to the Debian packages unpacked into the base image"
        for path in ("app/ext.so", "usr/bin/tool")
    ]


def test_alternatives_unknown_sonames_and_no_lock_each_say_what_to_do():
    app = tar_layer(("app/a.so", elf(("libfoo.so.1", "libunknown.so.3"))))
    foo, unknown = problems(BASE, app)
    assert "Debian packages libfoo1 or libfoo1-compat provide it" in foo
    assert "add libfoo1 to the base image's Debian packages and relock" in foo
    assert "no Debian package in the soname table of //third_party/debian" in unknown
    (no_lock, _) = problems(BASE, app, table=SonameTable())
    assert no_lock.endswith(
        "set debian_lock on the oci_image or its base to have the Debian package that "
        "provides it named, and add that package to the base image"
    )


def test_origin_runpath_reaches_auditwheel_libs_folder():
    app = tar_layer(
        ("site/pkg/ext.so", elf(("libgfortran-abc.so.5",), runpath="$ORIGIN/../pkg.libs")),
        ("site/pkg.libs/libgfortran-abc.so.5", elf(("libc.so.6",), rpath="${ORIGIN}")),
    )
    assert problems(BASE, app) == []


def test_runpath_replaces_rpath_and_lib_token_expands():
    fact = {
        "machine": "EM_X86_64",
        "rpath": ["/ignored"],
        "runpath": ["$ORIGIN", "/opt/$LIB", "relative", "/x/$PLATFORM"],
    }
    assert search_path("app/x/ext.so", fact) == [
        "/app/x",
        "/opt/lib/x86_64-linux-gnu",
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib",
        "/usr/lib",
    ]


def test_lib64_is_not_a_default_directory():
    app = tar_layer(
        ("usr/lib64/libonly64.so.1", elf()),
        ("app/ext.so", elf(("libonly64.so.1",))),
    )
    (line,) = problems(BASE, app)
    assert "app/ext.so needs libonly64.so.1, which is not in the image" in line


def test_missing_interpreter_is_reported():
    app = tar_layer(("app/run", elf(("libc.so.6",), interpreter="/lib/ld-musl-x86_64.so.1")))
    (line,) = problems(BASE, app)
    assert line.startswith(
        "oci_image //pkg:image: app/run has the program interpreter /lib/ld-musl-x86_64.so.1, "
        "which is not in the image; "
    )


def test_dangling_symlink_and_directory_do_not_count_as_the_library():
    app = tar_layer(
        ("usr/lib/libdangling.so.1", "->libdangling.so.1.0"),
        ("usr/lib/libdir.so.1/", None),
        ("app/ext.so", elf(("libdangling.so.1", "libdir.so.1"))),
    )
    assert len(problems(BASE, app)) == 2


def test_opaque_directory_hides_lower_layers_but_not_its_own():
    lower = tar_layer(("opt/lib/libold.so.1", elf()), ("opt/lib/libkept.so.1", elf()))
    upper = tar_layer(
        ("opt/lib/.wh..wh..opq", b""),
        ("opt/lib/libkept.so.1", elf()),
        ("app/ext.so", elf(("libold.so.1", "libkept.so.1"), runpath="/opt/lib")),
    )
    (line,) = problems(BASE, lower, upper)
    assert "app/ext.so needs libold.so.1" in line


def test_upper_layer_file_under_a_linked_directory_lands_behind_the_link():
    # "lib" is a link to usr/lib: an upper layer's lib/... file is found at usr/lib/...
    upper = tar_layer(
        ("lib/x86_64-linux-gnu/libnew.so.2", elf()),
        ("app/ext.so", elf(("libnew.so.2",))),
    )
    image = FileSystem()
    for layer in (BASE, upper):
        layer.seek(0)
        image.apply(summarize(layer))
    assert image.nodes["lib"]["type"] == "symlink"
    assert image.is_file("usr/lib/x86_64-linux-gnu/libnew.so.2")
    assert problems(BASE, upper) == []


def test_replaced_library_and_hard_link_to_a_lower_layer():
    upper = tar_layer(
        ("usr/lib/x86_64-linux-gnu/libz.so.1", b"replaced by a text file"),
        ("app/copy", "=>usr/bin/tool"),
    )
    lines = problems(BASE, upper)
    assert all("needs libz.so.1" not in line for line in lines)  # a file is there
    image = FileSystem()
    for layer in (BASE, upper):
        layer.seek(0)
        image.apply(summarize(layer))
    assert image.nodes["app/copy"]["elf"]["interpreter"] == LOADER


def test_foreign_machine_files_are_not_checked():
    app = tar_layer(("app/arm.so", elf(("libarm-only.so.1",), machine=EM_AARCH64)))
    assert problems(BASE, app) == []


def test_command_line_writes_a_report_or_fails_with_the_message(tmp_path: Path, capsys):
    base = tmp_path / "base.tar.gz"
    base.write_bytes(BASE.getvalue())
    app = tmp_path / "app.tar"
    app.write_bytes(tar_layer(("app/ext.so", elf(("libX11.so.6",)))).getvalue())
    lock = tmp_path / "packages.lock.json"
    lock.write_text(json.dumps({"packages": [{"name": "libc6"}], "sonames": LOCK.providers}))
    for name in ("base", "app"):
        layer = base if name == "base" else app
        assert main(["summarize", str(layer), "--output", str(tmp_path / f"{name}.json")]) == 0
    arguments = ["check", "--image", "//pkg:image", "--debian-lock", str(lock)]
    arguments += ["--debian-lock-label", "//third_party/debian:packages.lock.json"]
    arguments += ["--summary", str(tmp_path / "base.json")]
    assert main([*arguments, "--output", str(tmp_path / "ok.txt")]) == 0
    assert (tmp_path / "ok.txt").read_text() == (
        "//pkg:image: the interpreter and libraries of all 4 ELF files in 1 layer "
        "are in the image\n"
    )
    arguments += ["--summary", str(tmp_path / "app.json")]
    assert main([*arguments, "--output", str(tmp_path / "bad.txt")]) == 1
    assert capsys.readouterr().err == (
        "oci_image //pkg:image: app/ext.so needs libX11.so.6, which is not in the image; "
        "Debian package libx11-6 provides it (according to "
        "//third_party/debian:packages.lock.json): add libx11-6 to the base image's Debian "
        "packages and relock\n"
    )


def test_summary_of_another_format_asks_for_a_rebuild():
    with pytest.raises(CheckError, match="rebuild the image"):
        check("//pkg:image", [{"format": 0}], LOCK)
