"""The image runs under podman and is pushed to a registry on loopback."""

import base64
import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from podman import Podman, private_podman
from registry import registry as serve_registry
from servicekit.testing import free_port

TAG = "localhost/image_app:latest"


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


USER, PASSWORD = "ci", "s3cret"


@dataclass
class Registry:
    address: str

    def inspect(self, reference: str) -> dict:
        inspected = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", f"--creds={USER}:{PASSWORD}",
             f"docker://{self.address}/{reference}"],
            capture_output=True,
            text=True,
            check=True,
        )  # fmt: skip
        return json.loads(inspected.stdout)


@pytest.fixture
def registry(tmp_path) -> Iterator[Registry]:
    """docker-registry on loopback that accepts pushes only with a password (htpasswd)."""
    with serve_registry(tmp_path, f"127.0.0.1:{free_port()}", USER, PASSWORD) as address:
        yield Registry(address)


def push(repository: str, home: Path) -> subprocess.CompletedProcess:
    """Runs the oci_push script as `bazel run` would, for a user whose home is ``home``.

    Here the script runs where the test runs; through tools/bazel it enters the calling
    shell's mount namespace first (.ci/acceptance pushes that way)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_HOST_", "REGISTRY_AUTH"))}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(home / "run"))
    return subprocess.run(
        [os.environ["PUSH"], "--repository", repository, "--tag", "v1"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_push_uses_the_users_credentials_and_pulls_back_the_same_digest(registry, tmp_path):
    digest = (Path(os.environ["IMAGE"]).parent / "image.digest").read_text().strip()
    home = tmp_path / "home"
    (home / "run" / "containers").mkdir(parents=True)
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    auth = {"auths": {registry.address: {"auth": token}}}
    (home / "run" / "containers" / "auth.json").write_text(json.dumps(auth))
    repository = f"{registry.address}/image_app"

    pushed = push(repository, home)

    assert pushed.returncode == 0, pushed.stderr
    assert registry.inspect("image_app:v1")["Digest"] == digest
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--src-tls-verify=false", f"--src-creds={USER}:{PASSWORD}",
         f"docker://{repository}@{digest}", f"oci:{tmp_path / 'pulled'}"],
        check=True,
    )  # fmt: skip
    index = json.loads((tmp_path / "pulled" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == digest


def test_push_without_credentials_fails_in_one_line_naming_the_registry(registry, tmp_path):
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True)

    pushed = push(f"{registry.address}/image_app", home)

    assert pushed.returncode == 1
    assert pushed.stderr.count("\n") == 1, pushed.stderr
    assert pushed.stderr.startswith(f"oci_push: {registry.address} refused the push"), pushed.stderr
    assert f"podman login {registry.address}" in pushed.stderr
