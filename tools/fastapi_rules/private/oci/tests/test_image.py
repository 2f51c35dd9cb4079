import json
import tarfile
from pathlib import Path

import pytest
from archive import tarball
from image import ImageError, ImageSettings, Layout, build
from layer import Layer


def make_layer(path: Path, name: str, content: bytes) -> Path:
    layer = Layer()
    layer.file(name, content)
    layer.write(path)
    return path


@pytest.fixture
def base(tmp_path) -> Path:
    output = tmp_path / "base"
    build(
        output,
        None,
        [make_layer(tmp_path / "os.tar.gz", "etc/os-release", b"debian")],
        ImageSettings(
            entrypoint=["/bin/sh"],
            cmd=["-c", "true"],
            env={"PATH": "/usr/bin", "LANG": "C.UTF-8"},
            user="65532",
            labels={"base": "yes"},
        ),
    )
    return output


def test_layout_is_spec_shaped(base):
    layout = Layout(base)
    assert json.loads((base / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((base / "index.json").read_text())
    assert index["manifests"][0]["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    manifest, _ = layout.manifest()
    assert manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    assert manifest["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    for descriptor in [manifest["config"], *manifest["layers"]]:
        blob = layout.blob_path(descriptor["digest"])
        assert blob.stat().st_size == descriptor["size"]
    config = layout.config()
    assert config["os"] == "linux"
    assert config["architecture"] == "amd64"
    assert config["config"]["User"] == "65532"


def test_child_image_adds_layers_and_merges_settings(tmp_path, base):
    app = make_layer(tmp_path / "app.tar.gz", "app/main.py", b"print()")
    output = tmp_path / "child"
    build(
        output,
        base,
        [app],
        ImageSettings(
            entrypoint=["/app/server"],
            env={"PATH": "/app/bin:/usr/bin", "PORT": "4100"},
            exposed_ports=["4100", "9000/udp"],
            labels={"service": "analytics"},
            annotations={"org.opencontainers.image.title": "analytics"},
        ),
    )
    layout = Layout(output)
    manifest, _ = layout.manifest()
    base_manifest, _ = Layout(base).manifest()
    assert manifest["layers"][0] == base_manifest["layers"][0]
    assert len(manifest["layers"]) == 2
    assert manifest["annotations"] == {"org.opencontainers.image.title": "analytics"}
    runtime = layout.config()["config"]
    assert runtime["Entrypoint"] == ["/app/server"]
    assert "Cmd" not in runtime  # a new entrypoint drops the base's command
    assert runtime["Env"] == ["PATH=/app/bin:/usr/bin", "LANG=C.UTF-8", "PORT=4100"]
    assert runtime["ExposedPorts"] == {"4100/tcp": {}, "9000/udp": {}}
    assert runtime["Labels"] == {"base": "yes", "service": "analytics"}
    assert runtime["User"] == "65532"
    assert len(layout.config()["rootfs"]["diff_ids"]) == 2


def test_same_inputs_give_the_same_digest(tmp_path, base):
    app = make_layer(tmp_path / "app.tar.gz", "app/main.py", b"print()")
    first = build(tmp_path / "one", base, [app], ImageSettings(user="1"))
    second = build(tmp_path / "two", base, [app], ImageSettings(user="1"))
    assert first == second


def test_bad_port_is_refused(tmp_path):
    with pytest.raises(ImageError, match="'http' is not PORT"):
        build(tmp_path / "x", None, [], ImageSettings(exposed_ports=["http"]))


def test_tarball_holds_oci_layout_and_docker_manifest(tmp_path, base):
    archive = tmp_path / "image.tar"
    tarball(base, ["analytics:latest"], archive)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        docker = json.load(tar.extractfile("manifest.json"))
        index = json.load(tar.extractfile("index.json"))
    assert {"oci-layout", "index.json", "manifest.json"} <= set(names)
    assert docker[0]["RepoTags"] == ["analytics:latest"]
    assert all(layer in names for layer in docker[0]["Layers"])
    assert docker[0]["Config"] in names
    ref = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
    assert ref == "analytics:latest"
