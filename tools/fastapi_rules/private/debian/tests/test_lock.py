import hashlib
import json

import pytest
from lock import ResolveError, main, parse_stanzas, read_index, read_sonames, resolve

INDEX = """\
Package: python3.13-minimal
Version: 3.13.5-2
Architecture: amd64
Pre-Depends: libc6 (>= 2.38)
Depends: libpython3.13-minimal (= 3.13.5-2), libexpat1 (>= 2.1~beta3), zlib1g (>= 1:1.2.0)
Filename: pool/main/p/python3.13/python3.13-minimal_3.13.5-2_amd64.deb
Size: 2224552
SHA256: 1111111111111111111111111111111111111111111111111111111111111111
Description: Minimal subset of the Python language
 continued description line

Package: libpython3.13-minimal
Version: 3.13.5-2
Architecture: amd64
Depends: libc6 (>= 2.14), libssl3t64 (>= 3.0.0)
Filename: pool/main/p/python3.13/libpython3.13-minimal_3.13.5-2_amd64.deb
Size: 10
SHA256: 2222222222222222222222222222222222222222222222222222222222222222

Package: libc6
Version: 2.41-12
Architecture: amd64
Depends: libgcc-s1
Filename: pool/main/g/glibc/libc6_2.41-12_amd64.deb
Size: 10
SHA256: 3333333333333333333333333333333333333333333333333333333333333333

Package: libgcc-s1
Version: 14.2.0-19
Architecture: amd64
Filename: pool/main/g/gcc-14/libgcc-s1_14.2.0-19_amd64.deb
Size: 10
SHA256: 4444444444444444444444444444444444444444444444444444444444444444

Package: libexpat1
Version: 2.7.1-2
Architecture: amd64
Depends: libc6:any
Filename: pool/main/e/expat/libexpat1_2.7.1-2_amd64.deb
Size: 10
SHA256: 5555555555555555555555555555555555555555555555555555555555555555

Package: zlib1g
Version: 1:1.3
Architecture: amd64
Pre-Depends: awk | mawk
Filename: pool/main/z/zlib/zlib1g_1.3_amd64.deb
Size: 10
SHA256: 6666666666666666666666666666666666666666666666666666666666666666

Package: libssl3t64
Version: 3.5.1-1
Architecture: amd64
Provides: libssl3 (= 3.5.1-1)
Filename: pool/main/o/openssl/libssl3t64_3.5.1-1_amd64.deb
Size: 10
SHA256: 7777777777777777777777777777777777777777777777777777777777777777
"""


def test_continuation_lines_are_joined_to_their_field():
    first = next(parse_stanzas(INDEX))
    assert first["Description"].endswith("\ncontinued description line")


def test_closure_follows_depends_and_pre_depends():
    index = read_index(INDEX)
    names = [s.name for s in resolve(index, ["python3.13-minimal"], {"awk"})]
    assert names == [
        "libc6",
        "libexpat1",
        "libgcc-s1",
        "libpython3.13-minimal",
        "libssl3t64",
        "python3.13-minimal",
        "zlib1g",
    ]


def test_pool_path_and_hash_are_kept_and_architecture_qualifiers_dropped():
    index = read_index(INDEX)
    assert index["libexpat1"].depends == (("libc6",),)
    assert index["libc6"].filename == "pool/main/g/glibc/libc6_2.41-12_amd64.deb"
    assert index["libc6"].sha256 == "3" * 64


def test_virtual_packages_resolve_to_their_provider():
    index = read_index(INDEX)
    assert [s.name for s in resolve(index, ["libssl3"], set())] == ["libssl3t64"]


def test_unsatisfiable_dependency_is_named():
    index = read_index(INDEX)
    with pytest.raises(ResolveError, match=r"no package provides awk \| mawk"):
        resolve(index, ["zlib1g"], set())


CONTENTS = """\
bin                                                     admin/base-files
usr/lib/x86_64-linux-gnu/libstdc++.so.6                 libs/libstdc++6
usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.33            libs/libstdc++6
usr/lib/x86_64-linux-gnu/libX11.so.6                    libs/libx11-6
usr/lib/x86_64-linux-gnu/libssl.so.3                    libs/libssl3t64
usr/lib/x86_64-linux-gnu/libfoo.so.1                    libs/libfoo1,oldlibs/libfoo1-compat
usr/lib/x86_64-linux-gnu/libfoo.so.1                    libs/libfoo1
usr/lib/x86_64-linux-gnu/libunrelated.so.4              libs/libunrelated4
usr/lib/i386-linux-gnu/libstdc++.so.6                   libs/libstdc++6-i386-cross
usr/lib/x86_64-linux-gnu/engines-3/afalg.so             libs/libssl3t64
usr/lib/x86_64-linux-gnu/libssl.so                      libdevel/libssl-dev
usr/lib64/ld-linux-x86-64.so.2                          libs/libc6
usr/share/doc/libstdc++6/copyright                      libs/libstdc++6
"""


def test_sonames_of_locked_packages_and_manylinux_libraries_with_their_providers():
    sonames = read_sonames(
        CONTENTS.splitlines(keepends=True), {"libssl3t64", "libfoo1", "libc6"}, "amd64"
    )
    assert sonames == {
        "ld-linux-x86-64.so.2": ["libc6"],
        "libX11.so.6": ["libx11-6"],
        "libfoo.so.1": ["libfoo1", "libfoo1-compat"],
        "libssl.so.3": ["libssl3t64"],
        "libstdc++.so.6": ["libstdc++6"],
    }


def test_the_drift_check_asks_for_a_relock_when_the_soname_table_is_missing(tmp_path, capsys):
    (tmp_path / "packages.txt").write_text("libc6\n")
    digest = hashlib.sha256(b"libc6\n").hexdigest()
    (tmp_path / "lock.json").write_text(json.dumps({"packages_txt_sha256": digest}))
    args = ["--check", "--packages", "packages.txt", "--output", "lock.json"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
        assert main(args) == 1
        assert "no soname table" in capsys.readouterr().err
        (tmp_path / "lock.json").write_text(
            json.dumps({"packages_txt_sha256": digest, "sonames": {}})
        )
        assert main(args) == 0


def test_the_drift_check_names_the_changed_list_and_the_relock(tmp_path, capsys, monkeypatch):
    (tmp_path / "packages.txt").write_text("libc6\ntzdata\n")
    digest = hashlib.sha256(b"libc6\n").hexdigest()
    (tmp_path / "lock.json").write_text(json.dumps({"packages_txt_sha256": digest, "sonames": {}}))
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
    args = ["--check", "--packages", "packages.txt", "--output", "lock.json"]
    assert main([*args, "--relock-command", "bazel run //third_party/debian:lock"]) == 1
    assert capsys.readouterr().err == (
        "lock: packages.txt has changed since lock.json was written; "
        "relock with: bazel run //third_party/debian:lock\n"
    )
