"""The checker fails on the fixture's layers with the message `bazel build :image` gives."""

import os
import re
from pathlib import Path

import pytest
from library_check import main

IMAGE = "//tools/fastapi_rules/tests/missing_library:image"
# The greenlet wheel's repository is named by the end of its canonical name: Bazel 7
# joins the parts with "~" (_main~pypi~pypi_greenlet), Bazel 8 with "+".
GREENLET = (
    re.escape("app/service.runfiles/")
    + r"[^/]*[~+]pypi_greenlet"
    + re.escape("/site-packages/greenlet/_greenlet.cpython-313-x86_64-linux-gnu.so")
)


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The rootfs, then py_image_layer' third-party and app layers, as oci_image orders them."""
    layers = [os.environ["ROOTFS"], *os.environ["LAYERS"].split()]
    directory = tmp_path_factory.mktemp("summaries")
    paths = []
    for index, layer in enumerate(layers):
        path = directory / f"{index}.json"
        assert main(["summarize", layer, "--output", str(path)]) == 0
        paths.append(path)
    return paths


def run_check(summaries: list[Path], output: Path) -> int:
    arguments = ["check", "--image", IMAGE, "--output", str(output)]
    arguments += ["--debian-lock", os.environ["DEBIAN_LOCK"]]
    arguments += ["--debian-lock-label", "//third_party/debian:packages.lock.json"]
    for summary in summaries:
        arguments += ["--summary", str(summary)]
    return main(arguments)


def test_the_base_alone_passes(summaries, tmp_path):
    assert run_check(summaries[:1], tmp_path / "report.txt") == 0


def test_greenlet_without_libstdcxx_fails_naming_file_soname_and_package(
    summaries, tmp_path, capsys
):
    assert run_check(summaries, tmp_path / "report.txt") == 1
    lines = capsys.readouterr().err.splitlines()
    expected = re.compile(
        re.escape(f"oci_image {IMAGE}: ")
        + GREENLET
        + re.escape(
            " needs libstdc++.so.6, which is not in the image; Debian package libstdc++6 "
            "provides it (//third_party/debian:packages.lock.json locks it): add libstdc++6 "
            "to the Debian packages unpacked into the base image"
        )
    )
    assert any(expected.fullmatch(line) for line in lines), lines
    # greenlet's own test modules need it too; nothing else is missing.
    assert {line.split(" needs ")[1].split(",")[0] for line in lines} == {"libstdc++.so.6"}
    assert not (tmp_path / "report.txt").exists()
