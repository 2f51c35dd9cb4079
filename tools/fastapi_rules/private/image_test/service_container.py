"""A service image under podman, run as production runs it.

The pieces of fastapi_service's ``:image_test`` (image_test.py) that a service's own tests
of its image reuse: load the tarball into a private store (podman.py) and check it is the
image built, run it as uid 65532 with a read-only root file system, a tmpfs /tmp, no
capabilities and no privilege escalation, on the host network, wait for readiness, and
stop it with SIGTERM. A throwaway PostgreSQL on loopback serves images that need one: the
container shares the host network, so its URL works unchanged inside.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from podman import Podman

# servicekit's default; an image may set DRAIN_SECONDS in its environment.
DEFAULT_DRAIN_SECONDS = 5.0
# After the drain, uvicorn closes idle connections and runs the lifespan shutdown.
SHUTDOWN_MARGIN_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 60.0

# How production runs a service image (fastapi_service's images run as 65532).
PRODUCTION_FLAGS = (
    "--user", "65532:65532",
    "--read-only", "--tmpfs", "/tmp:rw,mode=1777",
    "--cap-drop", "all", "--security-opt", "no-new-privileges",
)  # fmt: skip


class ImageTestError(Exception):
    pass


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes


def get(url: str) -> Response:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return Response(answer.status, answer.headers.get_content_type(), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers.get_content_type(), error.read())


def load_image(podman: Podman, tarball: Path, repo_tag: str, image_id: str) -> None:
    """Loads the oci_load tarball; fails unless ``repo_tag`` then names ``image_id``."""
    podman("load", "--input", str(tarball))
    loaded = podman("image", "inspect", "--format", "{{.Id}}", repo_tag)
    if loaded != image_id:
        raise ImageTestError(f"{repo_tag} is {loaded} in podman, not the image built, {image_id}")


@contextlib.contextmanager
def service_container(
    podman: Podman, repo_tag: str, port: int, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Runs the image detached with PRODUCTION_FLAGS on the host network, serving on
    ``port``; yields the container ID and removes the container afterwards."""
    env_args = [f"--env={name}={value}" for name, value in (env or {}).items()]
    container = podman(
        "run", "--detach", "--network", "host", *PRODUCTION_FLAGS,
        "--env", f"PORT={port}", *env_args, repo_tag,
    )  # fmt: skip
    try:
        yield container
    finally:
        podman.run("rm", "--force", "--time", "0", container, check=False)


def container_logs(podman: Podman, container: str) -> str:
    result = podman.run("logs", container, check=False)
    return (result.stdout + result.stderr)[-4000:]


def wait_until_ready(podman: Podman, container: str, url: str) -> float:
    """Seconds until ``url`` answered 200; fails early when the container exits."""
    started = time.monotonic()
    while time.monotonic() - started < READY_TIMEOUT_SECONDS:
        try:
            if get(url).status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        state = podman("inspect", "--format", "{{.State.Status}}", container)
        if state not in ("running", "created", "configured"):
            raise ImageTestError(
                f"the container stopped ({state}) before {url} answered 200:\n"
                + container_logs(podman, container)
            )
        time.sleep(0.05)
    raise ImageTestError(
        f"{url} did not answer 200 within {READY_TIMEOUT_SECONDS:.0f} s:\n"
        + container_logs(podman, container)
    )


def drain_seconds_of(podman: Podman, image: str) -> float:
    env = json.loads(podman("image", "inspect", "--format", "{{json .Config.Env}}", image))
    for item in env or []:
        name, _, value = item.partition("=")
        if name == "DRAIN_SECONDS":
            return float(value)
    return DEFAULT_DRAIN_SECONDS


def stop_with_sigterm(podman: Podman, container: str, ready_url: str, drain: float) -> float:
    """Sends SIGTERM; checks readiness fails while draining and the exit is 0 in time."""
    podman("kill", "--signal", "TERM", container)
    signalled = time.monotonic()
    saw_draining = False
    deadline = signalled + drain + SHUTDOWN_MARGIN_SECONDS
    while time.monotonic() < deadline:
        state = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container)
        status, _, code = state.partition(" ")
        if status == "exited":
            elapsed = time.monotonic() - signalled
            if code != "0":
                raise ImageTestError(
                    f"after SIGTERM the container exited {code}, not 0:\n"
                    + container_logs(podman, container)
                )
            if drain > 0 and not saw_draining:
                raise ImageTestError("readiness never answered 503 while the service drained")
            return elapsed
        if not saw_draining and drain > 0:
            with contextlib.suppress(OSError):
                saw_draining = get(ready_url).status == 503
        time.sleep(0.05)
    raise ImageTestError(
        f"the container was still running {drain + SHUTDOWN_MARGIN_SECONDS:.0f} s after SIGTERM "
        f"(drain time {drain:g} s):\n" + container_logs(podman, container)
    )


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """The URL of an empty database on a throwaway PostgreSQL listening on loopback
    (Debian's server, as the tests' plugin starts it), stopped afterwards."""
    from servicekit.postgres_server import start_postgres

    server = start_postgres()
    try:
        yield server.create_database()
    finally:
        server.stop()
