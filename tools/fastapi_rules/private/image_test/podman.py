"""podman for tests: a private image store per test, so tests neither see nor leave images.

Flags are those that work in the build environment as root: the vfs storage driver and
runc (see tools/buildenv/README.md), cgroupfs without systemd, and no events journal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PodmanError(Exception):
    pass


class Podman:
    def __init__(self, root: Path) -> None:
        if not shutil.which("podman"):
            raise PodmanError(
                "podman is not installed; run tests through tools/bazel, or skip container "
                "tests with --test_tag_filters=-container"
            )
        self.command = [
            "podman",
            "--root", str(root / "storage"),
            "--runroot", str(root / "run"),
            "--tmpdir", str(root / "tmp"),
            "--storage-driver", "vfs",
            "--runtime", "runc",
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "none",
        ]  # fmt: skip

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.command, *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PODMAN_IGNORE_CGROUPSV1_WARNING": "1"},
        )
        if check and result.returncode != 0:
            raise PodmanError(f"podman {' '.join(args)} failed:\n{result.stderr}")
        return result

    def __call__(self, *args: str) -> str:
        return self.run(*args).stdout.strip()


@contextmanager
def private_podman() -> Iterator[Podman]:
    # Short paths: podman's sockets live under --runroot, and socket paths are limited.
    root = Path(tempfile.mkdtemp(prefix="podman-", dir="/tmp"))
    try:
        yield Podman(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
