"""deploy/ci/push_images.sh with a stand-in for tools/bazel: every service manifest the
query finds is built, and its service's :push target runs with REGISTRY/NAME, the commit
and the service's version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(os.environ["PUSH_IMAGES"])

# Answers query and cquery from files beside it, and records every command.
BAZEL = """\
#!/bin/sh
here=$(dirname "$0")
echo "$*" >> "$here/commands"
case $1 in
  query) cat "$here/labels" ;;
  cquery) cat "$here/files" ;;
esac
"""


def run(
    tmp_path: Path, manifests: dict[str, dict]
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    # The script runs from its repository's root, two directories up: a copy of it there.
    root = tmp_path / "repository"
    (root / "deploy/ci").mkdir(parents=True)
    script = root / "deploy/ci/push_images.sh"
    shutil.copy(SCRIPT, script)
    script.chmod(0o755)
    stub = tmp_path / "bazel"
    stub.mkdir()
    (stub / "bazel").write_text(BAZEL)
    (stub / "bazel").chmod(0o755)
    files = []
    for manifest in manifests.values():
        path = tmp_path / f"{manifest['name']}.manifest.json"
        path.write_text(json.dumps(manifest))
        files.append(str(path))
    (stub / "labels").write_text("".join(f"{label}\n" for label in manifests))
    (stub / "files").write_text("".join(f"{path}\n" for path in files))
    ran = subprocess.run(
        [str(script), "registry.test:5000/team/", "0123abc"],
        env={**os.environ, "BAZEL": str(stub / "bazel")},
        capture_output=True,
        text=True,
        check=False,
    )
    commands = (stub / "commands").read_text().splitlines() if (stub / "commands").exists() else []
    return ran, commands


def manifest(name: str, package: str, version: str) -> dict:
    return {"name": name, "version": version, "image": {"label": f"//{package}:image"}}


def test_pushes_every_service_with_the_commit_and_its_version(tmp_path: Path) -> None:
    ran, commands = run(
        tmp_path,
        {
            "//services/template:manifest": manifest("template", "services/template", "1.0.0"),
            "//services/web-app:manifest": manifest("web-app", "services/web-app", "0.2.0"),
        },
    )
    assert ran.returncode == 0, ran.stderr
    assert commands == [
        "query kind(service_manifest, //...)",
        "build //services/template:manifest //services/web-app:manifest",
        "cquery set(//services/template:manifest //services/web-app:manifest) --output=files",
        "run //services/template:push -- --repository registry.test:5000/team/template"
        " --tag 0123abc --tag 1.0.0",
        "run //services/web-app:push -- --repository registry.test:5000/team/web-app"
        " --tag 0123abc --tag 0.2.0",
    ]
    assert "pushed 2 images" in ran.stdout


def test_no_service_is_a_failure(tmp_path: Path) -> None:
    ran, commands = run(tmp_path, {})
    assert ran.returncode == 1
    assert "no service manifest found" in ran.stderr
    assert not [c for c in commands if c.startswith("run ")]


def test_arguments_are_required(tmp_path: Path) -> None:
    ran = subprocess.run(
        [str(SCRIPT), "registry.test"], capture_output=True, text=True, check=False
    )
    assert ran.returncode != 0
    assert "usage: deploy/ci/push_images.sh REGISTRY COMMIT_SHA" in ran.stderr
