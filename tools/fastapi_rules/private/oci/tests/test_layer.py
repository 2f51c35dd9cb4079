import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from layer import MTIME, Descriptor, Layer, LayerError, diff_id, glob_pattern, normalize_path


def sample(tmp_path: Path, order: list[str]) -> Layer:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    data = tmp_path / "data.txt"
    data.write_text("data\n")
    data.chmod(0o600)
    layer = Layer()
    adders = {
        "script": lambda: layer.copy("/app/bin/run.sh", script),
        "data": lambda: layer.copy("app/share/data.txt", data),
        "link": lambda: layer.symlink("usr/bin/python3", "python3.13"),
        "tmp": lambda: layer.directory("tmp", 0o1777),
    }
    for name in order:
        adders[name]()
    return layer


def members(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path, "r:gz") as tar:
        return tar.getmembers()


def test_same_entries_in_any_order_give_identical_bytes(tmp_path):
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    written_a = sample(tmp_path, ["script", "data", "link", "tmp"]).write(first)
    written_b = sample(tmp_path, ["tmp", "link", "data", "script"]).write(second)
    assert first.read_bytes() == second.read_bytes()
    assert written_a == written_b


def test_entries_are_sorted_with_parents_and_normalized_metadata(tmp_path):
    output = tmp_path / "layer.tar.gz"
    sample(tmp_path, ["script", "data", "link", "tmp"]).write(output)
    infos = members(output)
    assert [i.name for i in infos] == [
        "app",
        "app/bin",
        "app/bin/run.sh",
        "app/share",
        "app/share/data.txt",
        "tmp",
        "usr",
        "usr/bin",
        "usr/bin/python3",
    ]
    assert {(i.mtime, i.uid, i.gid, i.uname, i.gname) for i in infos} == {(MTIME, 0, 0, "", "")}
    modes = {i.name: i.mode for i in infos}
    assert modes["app/bin/run.sh"] == 0o755
    assert modes["app/share/data.txt"] == 0o644  # not the source's 0600
    assert modes["tmp"] == 0o1777
    link = next(i for i in infos if i.name == "usr/bin/python3")
    assert link.issym()
    assert link.linkname == "python3.13"


def test_gzip_header_has_no_timestamp_or_name(tmp_path):
    output = tmp_path / "layer.tar.gz"
    Layer().write(output)
    header = output.read_bytes()[:10]
    assert header[4:8] == b"\0\0\0\0"  # MTIME field
    assert header[3] & 0x08 == 0  # no FNAME flag


def test_descriptor_written_with_the_layer_matches_hashing_it_afterwards(tmp_path):
    output = tmp_path / "layer.tar.gz"
    layer = sample(tmp_path, ["data"])
    written = layer.write(output)
    expected = "sha256:" + hashlib.sha256(gzip.decompress(output.read_bytes())).hexdigest()
    assert written.diff_id == expected == diff_id(output)
    assert written.digest == "sha256:" + hashlib.sha256(output.read_bytes()).hexdigest()
    assert written.size == output.stat().st_size
    assert written == Descriptor.of_file(output) == Descriptor.from_json(written.to_json())
    plain = io.BytesIO()
    layer.write_tar(plain)
    (tmp_path / "plain.tar").write_bytes(plain.getvalue())
    assert diff_id(tmp_path / "plain.tar") == expected


def test_later_file_replaces_earlier_and_first_directory_mode_wins():
    layer = Layer()
    layer.file("etc/motd", b"one")
    layer.file("/etc/motd", b"two")
    layer.directory("etc", 0o700)
    layer.directory("etc", 0o755)
    assert layer.read("etc/motd") == b"two"
    assert layer.entries["etc"].mode == 0o700


@pytest.mark.parametrize(
    ("path", "normalized"), [("/a//b/./c", "a/b/c"), ("a/b/", "a/b"), ("/", "")]
)
def test_paths_are_normalized(path, normalized):
    assert normalize_path(path) == normalized


def test_parent_references_are_refused():
    with pytest.raises(LayerError, match=r"may not contain '\.\.'"):
        normalize_path("app/../../etc/passwd")


def test_a_tree_is_added_file_by_file_through_the_links_a_sandbox_stages(tmp_path):
    # A sandbox stages a tree artifact's files as links to them: their content and modes
    # are what goes into the layer.
    real = tmp_path / "real"
    (real / "express/lib").mkdir(parents=True)
    (real / "express/lib/index.js").write_text("module.exports = 1;\n")
    (real / "express/bin.js").write_text("#!/usr/bin/env node\n")
    (real / "express/bin.js").chmod(0o755)
    staged = tmp_path / "node_modules"
    (staged / "express/lib").mkdir(parents=True)
    for path in ("express/lib/index.js", "express/bin.js"):
        (staged / path).symlink_to(real / path)
    layer = Layer()
    layer.copy_tree("app/node_modules", staged)
    output = tmp_path / "layer.tar.gz"
    layer.write(output)
    found = {m.name: m for m in members(output)}
    assert sorted(found) == [
        "app",
        "app/node_modules",
        "app/node_modules/express",
        "app/node_modules/express/bin.js",
        "app/node_modules/express/lib",
        "app/node_modules/express/lib/index.js",
    ]
    assert found["app/node_modules/express/bin.js"].isfile()
    assert found["app/node_modules/express/bin.js"].mode == 0o755
    assert found["app/node_modules/express/lib/index.js"].mode == 0o644


def test_a_dangling_link_in_a_tree_is_refused(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "gone.js").symlink_to(tmp_path / "missing.js")
    with pytest.raises(LayerError, match="neither a file nor a directory"):
        Layer().copy_tree("app", tree)


def _tree(root, paths):
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    return root


def test_a_tree_leaves_out_what_its_exclude_patterns_match(tmp_path):
    tree = _tree(
        tmp_path / "tree",
        [
            "ort/bin/napi-v6/linux/x64/binding.node",
            "ort/bin/napi-v6/linux/arm64/binding.node",
            "ort/bin/napi-v6/darwin/arm64/binding.node",
            "ort/bin/napi-v6/win32/x64/binding.node",
            "ort/dist/index.js",
            "other/lib/x.js.map",
            "other/lib/deep/y.js.map",
            "other/lib/y.js",
        ],
    )
    layer = Layer()
    layer.copy_tree(
        "app/node_modules",
        tree,
        exclude=(
            "ort/bin/napi-v6/darwin",
            "ort/bin/napi-v6/win32",
            "ort/bin/*/*/arm64",
            "**/*.map",
        ),
    )
    output = tmp_path / "layer.tar.gz"
    layer.write(output)
    files = sorted(m.name for m in members(output) if m.isfile())
    assert files == [
        "app/node_modules/ort/bin/napi-v6/linux/x64/binding.node",
        "app/node_modules/ort/dist/index.js",
        "app/node_modules/other/lib/y.js",
    ]
    names = {m.name for m in members(output)}
    assert "app/node_modules/ort/bin/napi-v6/darwin" not in names


def test_an_exclude_pattern_that_matches_nothing_is_an_error(tmp_path):
    tree = _tree(tmp_path / "tree", ["ort/bin/napi-v6/linux/x64/binding.node"])
    with pytest.raises(LayerError, match=r"matches the exclude pattern\(s\) ort/bin/napi-v3;"):
        Layer().copy_tree("app", tree, exclude=("ort/bin/napi-v6/linux", "ort/bin/napi-v3"))


def test_glob_patterns_keep_star_within_a_name():
    assert glob_pattern("a/*/c").fullmatch("a/b/c")
    assert not glob_pattern("a/*/c").fullmatch("a/b/x/c")
    assert glob_pattern("a/**/c").fullmatch("a/c")
    assert glob_pattern("a/**/c").fullmatch("a/b/x/c")
    assert glob_pattern("**/*.map").fullmatch("x.map")
    assert glob_pattern("**/*.map").fullmatch("p/q/x.map")
    assert not glob_pattern("*.map").fullmatch("p/x.map")
    assert glob_pattern("a/b?").fullmatch("a/bc")
    assert not glob_pattern("a.b").fullmatch("axb")
