"""npm_tool lays out node_modules from npm tarballs as npm's installer would."""

import io
import tarfile
from pathlib import Path

import pytest
from npm_tool import NpmError, main, node_modules, unpack


def tarball(path: Path, members: dict[str, bytes | None], top: str = "package", **kinds) -> Path:
    """A gzipped tarball; a None content is a directory, kinds[name] a link target."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                archive.addfile(info)
            else:
                info.size = len(content)
                info.mode = 0o755 if name.endswith(".sh") else 0o664
                archive.addfile(info, io.BytesIO(content))
        for name, target in kinds.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return path


def test_top_directory_is_stripped_and_modes_normalized(tmp_path):
    archive = tarball(tmp_path / "a.tgz", {"package.json": b"{}", "lib": None, "bin/run.sh": b"x"})
    assert unpack(archive, tmp_path / "out") == 2
    assert (tmp_path / "out/package.json").read_bytes() == b"{}"
    assert (tmp_path / "out/bin/run.sh").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out/package.json").stat().st_mode & 0o777 == 0o644


def test_any_top_directory_name_is_stripped(tmp_path):
    archive = tarball(tmp_path / "a.tgz", {"index.js": b"1"}, top="node")
    unpack(archive, tmp_path / "out")
    assert (tmp_path / "out/index.js").exists()


def test_links_are_dropped_as_npm_drops_them(tmp_path):
    archive = tarball(tmp_path / "a.tgz", {"index.js": b"1"}, **{"evil": "/etc/passwd"})
    unpack(archive, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["index.js"]


def test_members_leaving_the_package_are_refused(tmp_path):
    archive = tarball(tmp_path / "a.tgz", {"../../escape.js": b"1"})
    with pytest.raises(NpmError, match="leaves the package"):
        unpack(archive, tmp_path / "out")


def test_nested_packages_land_inside_their_parent(tmp_path):
    outer = tarball(tmp_path / "a.tgz", {"package.json": b'{"name": "a"}'})
    inner = tarball(tmp_path / "b.tgz", {"package.json": b'{"name": "b"}'})
    scoped = tarball(tmp_path / "c.tgz", {"package.json": b'{"name": "@s/c"}'})
    out = tmp_path / "node_modules"
    # Given deepest first: the parent must still be laid out before its child.
    node_modules(
        [
            ("node_modules/a/node_modules/b", inner),
            ("node_modules/a", outer),
            ("node_modules/@s/c", scoped),
        ],
        out,
    )
    assert (out / "a/package.json").read_text() == '{"name": "a"}'
    assert (out / "a/node_modules/b/package.json").read_text() == '{"name": "b"}'
    assert (out / "@s/c/package.json").exists()


def test_lock_paths_outside_node_modules_are_refused(tmp_path):
    archive = tarball(tmp_path / "a.tgz", {"index.js": b"1"})
    with pytest.raises(NpmError, match="not a path under node_modules"):
        node_modules([("packages/a", archive)], tmp_path / "node_modules")


def test_command_line(tmp_path, capsys):
    archive = tarball(tmp_path / "a.tgz", {"index.js": b"1"})
    out = tmp_path / "node_modules"
    assert (
        main(["node-modules", "--output", str(out), "--package", "node_modules/a", str(archive)])
        == 0
    )
    assert (out / "a/index.js").exists()
    broken = tmp_path / "broken.tgz"
    broken.write_bytes(b"not a tarball")
    assert (
        main(["node-modules", "--output", str(out), "--package", "node_modules/b", str(broken)])
        == 1
    )
    assert "npm_tool node-modules:" in capsys.readouterr().err
