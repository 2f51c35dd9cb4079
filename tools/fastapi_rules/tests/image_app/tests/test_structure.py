"""What a built service image holds, read from its OCI layout."""

import re
import subprocess
import tarfile
from collections.abc import Iterable

import pytest

ENTRYPOINT = "/app/service.runfiles/_main/tools/fastapi_rules/tests/image_app/server"
RUNFILES = "app/service.runfiles/"
# The fastapi wheel's repository, by the end of its canonical name: Bazel 7 joins the
# parts with "~" (_main~pypi~pypi_fastapi), Bazel 8 with "+".
FASTAPI = r"[^/]*[~+]pypi_fastapi"


def test_three_layers_base_third_party_app(image, base_image):
    manifest, _ = image.manifest()
    assert len(manifest["layers"]) == 3
    base_manifest, _ = base_image.manifest()
    assert manifest["layers"][0] == base_manifest["layers"][0]
    history = [h["created_by"] for h in image.config()["history"]]
    assert history[0].endswith("images:python_base")
    assert history[1:] == ["oci_image @@//tools/fastapi_rules/tests/image_app:image"] * 2


def test_runtime_settings(image):
    runtime = image.config()["config"]
    assert runtime["User"] == "65532"
    assert runtime["Entrypoint"] == [ENTRYPOINT]
    assert runtime["ExposedPorts"] == {"8000/tcp": {}}
    assert runtime["WorkingDir"] == "/home/nonroot"
    env = dict(item.split("=", 1) for item in runtime["Env"])
    assert env["PORT"] == "8000"
    assert env["PATH"].startswith("/usr/local/sbin:")
    assert runtime["Labels"]["org.opencontainers.image.title"] == "image_app"


def test_base_layer_is_a_debian_python_system(image):
    files = image.layer_files(0)
    assert files["usr/bin/python3"].linkname == "python3.13"
    assert files["usr/bin/python3.13"].isfile()
    assert files["lib64"].issym()
    assert files["lib64"].linkname == "usr/lib64"
    assert files["usr/lib64/ld-linux-x86-64.so.2"].issym()
    assert files["tmp"].mode == 0o1777
    assert files["home/nonroot"].uid == 65532
    assert files["etc/ssl/certs/ca-certificates.crt"].size > 100_000
    assert "usr/lib/python3.13/ssl.py" in files
    assert not any(name.startswith("usr/share/man/") for name in files)


def _matching(files: Iterable[str], pattern: str) -> list[str]:
    return [name for name in files if re.fullmatch(re.escape(RUNFILES) + pattern, name)]


@pytest.mark.parametrize(
    ("index", "present", "absent"),
    [
        (1, FASTAPI + r"/site-packages/fastapi/__init__\.py", r"_main/tools/.*"),
        (2, r"_main/tools/fastapi_rules/tests/image_app/main\.py", FASTAPI + r"/.*"),
    ],
)
def test_wheels_and_first_party_code_have_their_own_layers(image, index, present, absent):
    files = image.layer_files(index)
    assert len(_matching(files, present)) == 1
    assert _matching(files, absent) == []


def test_build_and_test_tools_never_reach_the_image(image):
    names = set(image.layer_files(1)) | set(image.layer_files(2))
    for tool in ("pypi_ruff", "pypi_pytest", "pypi_pytest_asyncio", "pypi_packaging"):
        assert not any(tool + "/" in name for name in names), tool


def test_entrypoint_is_executable_in_the_app_layer(image):
    entry = image.layer_files(2)[ENTRYPOINT.lstrip("/")]
    assert entry.isfile()
    assert entry.mode == 0o755


def _layer_bytes(image, index: int, path: str) -> bytes:
    manifest, _ = image.manifest()
    with tarfile.open(image.blob_path(manifest["layers"][index]["digest"])) as tar:
        member = tar.extractfile(path)
        assert member is not None
        return member.read()


@pytest.mark.parametrize(
    ("index", "pyc"),
    [
        (0, re.escape("usr/lib/python3.13/asyncio/__pycache__/base_events.cpython-313.pyc")),
        (
            1,
            re.escape(RUNFILES)
            + FASTAPI
            + re.escape("/site-packages/fastapi/__pycache__/routing.cpython-313.pyc"),
        ),
        (
            2,
            re.escape(
                RUNFILES
                + "_main/tools/fastapi_rules/tests/image_app/__pycache__/main.cpython-313.pyc"
            ),
        ),
    ],
)
def test_every_layer_carries_unchecked_hash_bytecode(image, index, pyc):
    (path,) = [name for name in image.layer_files(index) if re.fullmatch(pyc, name)]
    header = _layer_bytes(image, index, path)[:16]
    assert int.from_bytes(header[4:8], "little") == 0b01  # PEP 552: hash-based, unchecked


def test_wheels_shared_objects_carry_no_debug_sections(image, tmp_path):
    shared_objects = [name for name in image.layer_files(1) if name.endswith(".so")]
    assert any("uvloop" in name for name in shared_objects)
    for name in shared_objects:
        copy = tmp_path / "copy.so"
        copy.write_bytes(_layer_bytes(image, 1, name))
        sections = subprocess.run(
            ["readelf", "--section-headers", "--wide", str(copy)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert " .debug_" not in sections, name


def test_left_out_of_the_base(image):
    files = image.layer_files(0)
    assert not any(name.startswith("usr/lib/x86_64-linux-gnu/gconv/") for name in files)
    assert "usr/lib/python3.13/test/__init__.py" not in files
