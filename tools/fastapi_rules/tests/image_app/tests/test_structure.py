"""What a built service image holds, read from its OCI layout."""

import pytest

ENTRYPOINT = "/app/service.runfiles/_main/tools/fastapi_rules/tests/image_app/server"


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


@pytest.mark.parametrize(
    ("index", "present", "absent"),
    [
        (1, "_main~pypi~pypi_fastapi/site-packages/fastapi/__init__.py", "_main/tools"),
        (2, "_main/tools/fastapi_rules/tests/image_app/main.py", "_main~pypi~pypi_fastapi"),
    ],
)
def test_wheels_and_first_party_code_have_their_own_layers(image, index, present, absent):
    files = image.layer_files(index)
    root = "app/service.runfiles/"
    assert root + present in files
    assert not any(name.startswith(root + absent) for name in files)


def test_build_and_test_tools_never_reach_the_image(image):
    names = set(image.layer_files(1)) | set(image.layer_files(2))
    for tool in ("pypi_ruff", "pypi_pytest", "pypi_pytest_asyncio", "pypi_packaging"):
        assert not any(tool + "/" in name for name in names), tool


def test_entrypoint_is_executable_in_the_app_layer(image):
    entry = image.layer_files(2)[ENTRYPOINT.lstrip("/")]
    assert entry.isfile()
    assert entry.mode == 0o755
