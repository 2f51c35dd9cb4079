"""The container test of a service image: what fastapi_service's ``:image_test`` runs.

The image is loaded into a private podman store and run the way production runs it: as
uid 65532, read-only root file system with a tmpfs /tmp, no capabilities, no privilege
escalation. The service must become ready, serve its API documentation with every asset,
answer an unknown route with a problem+json 404, and on SIGTERM drain (readiness 503)
and exit 0 within its drain time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from podman import Podman, PodmanError, private_podman
from servicekit.testing import free_port

# servicekit's default; an image may set DRAIN_SECONDS in its environment.
DEFAULT_DRAIN_SECONDS = 5.0
# After the drain, uvicorn closes idle connections and runs the lifespan shutdown.
SHUTDOWN_MARGIN_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 60.0


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


def check_docs(base_url: str) -> int:
    """/docs answers HTML whose scripts and styles all load from the service itself."""
    page = get(base_url + "/docs")
    if page.status != 200 or page.content_type != "text/html":
        raise ImageTestError(f"/docs answered {page.status} {page.content_type}, not HTML")
    assets = re.findall(
        r"""(?:src|href)=["']([^"']+\.(?:js|css|png|svg|ico))["']""", page.body.decode()
    )
    if not assets:
        raise ImageTestError("/docs references no script or style sheet")
    for asset in assets:
        url = urljoin(base_url + "/docs", asset)
        if not url.startswith(base_url):
            raise ImageTestError(f"/docs loads {url} from another host; docs must work offline")
        if (status := get(url).status) != 200:
            raise ImageTestError(f"/docs asset {url} answered {status}")
    return len(assets)


def check_unknown_route(base_url: str) -> None:
    answer = get(base_url + "/no-such-route-of-the-image-test")
    if answer.status != 404 or answer.content_type != "application/problem+json":
        raise ImageTestError(
            f"an unknown route answered {answer.status} {answer.content_type}, "
            "not a 404 application/problem+json"
        )
    problem = json.loads(answer.body)
    if problem.get("status") != 404 or "title" not in problem:
        raise ImageTestError(f"the 404 body is not an RFC 9457 problem: {problem}")


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
def database(env_name: str | None) -> Iterator[list[str]]:
    """``--env`` arguments giving the container a throwaway PostgreSQL, when it needs one.

    Debian's server on a free loopback port, as the tests' plugin starts it; the container
    shares the host network, so the URL works unchanged inside it."""
    if env_name is None:
        yield []
        return
    from servicekit.testing.postgres import start_postgres

    server = start_postgres()
    try:
        yield ["--env", f"{env_name}={server.create_database()}"]
    finally:
        server.stop()


def run(
    tarball: Path, image_id: str, repo_tag: str, ready_path: str, database_env: str | None = None
) -> None:
    with private_podman() as podman, database(database_env) as database_args:
        podman("load", "--input", str(tarball))
        loaded = podman("image", "inspect", "--format", "{{.Id}}", repo_tag)
        if loaded != image_id:
            raise ImageTestError(
                f"{repo_tag} is {loaded} in podman, not the image built, {image_id}"
            )
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        drain = drain_seconds_of(podman, repo_tag)
        started = time.monotonic()
        container = podman(
            "run", "--detach", "--network", "host",
            "--user", "65532:65532",
            "--read-only", "--tmpfs", "/tmp:rw,mode=1777",
            "--cap-drop", "all", "--security-opt", "no-new-privileges",
            "--env", f"PORT={port}",
            *database_args,
            repo_tag,
        )  # fmt: skip
        try:
            ready = wait_until_ready(podman, container, base_url + ready_path)
            print(f"ready after {ready:.2f} s ({time.monotonic() - started:.2f} s from podman run)")
            print(f"/docs and its {check_docs(base_url)} assets load from the image")
            check_unknown_route(base_url)
            print("an unknown route answers a problem+json 404")
            stopped = stop_with_sigterm(podman, container, base_url + ready_path, drain)
            print(f"SIGTERM: drained and exited 0 after {stopped:.2f} s (drain time {drain:g} s)")
        finally:
            podman.run("rm", "--force", "--time", "0", container, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tarball", type=Path, required=True, help="the oci_load tarball")
    parser.add_argument("--image-id", type=Path, required=True, help="file with the config digest")
    parser.add_argument("--repo-tag", required=True)
    parser.add_argument("--ready-path", required=True)
    parser.add_argument(
        "--database-env", help="variable to give the URL of a throwaway PostgreSQL in"
    )
    args = parser.parse_args(argv)
    image_id = args.image_id.read_text().strip()
    try:
        run(args.tarball, image_id, args.repo_tag, args.ready_path, args.database_env)
    except (ImageTestError, PodmanError) as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
