"""The image runs under podman and is pushed to a registry on loopback."""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from podman import Podman, private_podman

TAG = "localhost/image_app:latest"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


def wait_for_json(url: str, deadline: float) -> dict:
    while True:
        try:
            return get_json(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


@pytest.fixture
def podman() -> Iterator[Podman]:
    with private_podman() as podman:
        yield podman


def test_container_answers_http_as_the_non_root_user(podman):
    podman("load", "--input", os.environ["TARBALL"])
    assert TAG in podman("images", "--format", "{{.Repository}}:{{.Tag}}")
    port = free_port()
    container = podman("run", "--detach", "--network", "host", "--env", f"PORT={port}", TAG)
    try:
        health = wait_for_json(f"http://127.0.0.1:{port}/health", time.monotonic() + 60)
        assert health == {"status": "ok", "version": "1"}
        assert get_json(f"http://127.0.0.1:{port}/whoami") == {"uid": 65532, "gid": 65532}
    finally:
        podman("rm", "--force", "--time", "2", container)
    assert podman("ps", "--all", "--quiet") == ""


@pytest.fixture
def registry(tmp_path) -> Iterator[str]:
    if not shutil.which("docker-registry"):
        pytest.fail("docker-registry (Debian package) is not installed")
    address = f"127.0.0.1:{free_port()}"
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\n"
        f"http:\n  addr: {address}\n"
    )
    server = subprocess.Popen(["docker-registry", "serve", str(config)])
    try:
        wait_for_json(f"http://{address}/v2/", time.monotonic() + 30)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_push_then_pull_back_gives_the_same_digest(registry, tmp_path):
    digest = (Path(os.environ["IMAGE"]).parent / "image.digest").read_text().strip()
    repository = f"{registry}/image_app"
    pushed = subprocess.run(
        [os.environ["PUSH"], "--repository", repository, "--tag", "v1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pushed.returncode == 0, pushed.stderr
    inspected = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{repository}:v1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(inspected.stdout)["Digest"] == digest
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--src-tls-verify=false",
         f"docker://{repository}@{digest}", f"oci:{tmp_path / 'pulled'}"],
        check=True,
    )  # fmt: skip
    index = json.loads((tmp_path / "pulled" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == digest
