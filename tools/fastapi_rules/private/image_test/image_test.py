"""The container test of a service image: what fastapi_service's ``:image_test`` runs.

The image is loaded into a private podman store and run the way production runs it: as
uid 65532, read-only root file system with a tmpfs /tmp, no capabilities, no privilege
escalation. The service must become ready, serve its API documentation with every asset
(when it has a docs path), answer an unknown route with a problem+json 404, and on
SIGTERM drain (readiness 503) and exit 0 within its drain time. An image that needs a
database (``--database-env``) gets a throwaway PostgreSQL, and without one must refuse to
start in one line naming the variable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

from podman import Podman, PodmanError, private_podman
from service_container import (
    PRODUCTION_FLAGS,
    ImageTestError,
    drain_seconds_of,
    get,
    load_image,
    service_container,
    stop_with_sigterm,
    throwaway_database,
    wait_until_ready,
)
from servicekit.testing import free_port


def check_docs(base_url: str, docs_path: str) -> int:
    """The docs page answers HTML whose scripts and styles all load from the service."""
    page = get(base_url + docs_path)
    if page.status != 200 or page.content_type != "text/html":
        raise ImageTestError(f"{docs_path} answered {page.status} {page.content_type}, not HTML")
    assets = re.findall(
        r"""(?:src|href)=["']([^"']+\.(?:js|css|png|svg|ico))["']""", page.body.decode()
    )
    if not assets:
        raise ImageTestError(f"{docs_path} references no script or style sheet")
    for asset in assets:
        url = urljoin(base_url + docs_path, asset)
        if not url.startswith(base_url):
            raise ImageTestError(
                f"{docs_path} loads {url} from another host; docs must work offline"
            )
        if (status := get(url).status) != 200:
            raise ImageTestError(f"{docs_path} asset {url} answered {status}")
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


def check_refuses_without(podman: Podman, repo_tag: str, env_name: str) -> str:
    """Without its database URL the image must stop at once with one line naming it, not
    hang in startup retries or print a traceback."""
    result = podman.run(
        "run", "--rm", "--network", "none", *PRODUCTION_FLAGS, repo_tag, check=False
    )  # fmt: skip
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    refused = [line for line in lines if env_name in line and "cannot start" in line]
    if result.returncode == 0 or len(refused) != 1 or "Traceback" in result.stderr:
        raise ImageTestError(
            f"without {env_name} the image should exit non-zero with one line naming it; "
            f"it exited {result.returncode} with:\n" + "\n".join(lines[-20:])
        )
    return refused[0]


@contextlib.contextmanager
def database(env_name: str | None) -> Iterator[dict[str, str]]:
    """The environment giving the container a throwaway PostgreSQL, when it needs one."""
    if env_name is None:
        yield {}
        return
    with throwaway_database() as url:
        yield {env_name: url}


def run(
    tarball: Path,
    image_id: str,
    repo_tag: str,
    ready_path: str,
    database_env: str | None = None,
    docs_path: str | None = None,
) -> None:
    with private_podman() as podman, database(database_env) as env:
        load_image(podman, tarball, repo_tag, image_id)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        drain = drain_seconds_of(podman, repo_tag)
        started = time.monotonic()
        with service_container(podman, repo_tag, port, env) as container:
            ready = wait_until_ready(podman, container, base_url + ready_path)
            print(f"ready after {ready:.2f} s ({time.monotonic() - started:.2f} s from podman run)")
            if docs_path:
                assets = check_docs(base_url, docs_path)
                print(f"{docs_path} and its {assets} assets load from the image")
            check_unknown_route(base_url)
            print("an unknown route answers a problem+json 404")
            stopped = stop_with_sigterm(podman, container, base_url + ready_path, drain)
            print(f"SIGTERM: drained and exited 0 after {stopped:.2f} s (drain time {drain:g} s)")
        if database_env is not None:
            print(f"without its database: {check_refuses_without(podman, repo_tag, database_env)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tarball", type=Path, required=True, help="the oci_load tarball")
    parser.add_argument("--image-id", type=Path, required=True, help="file with the config digest")
    parser.add_argument("--repo-tag", required=True)
    parser.add_argument("--ready-path", required=True)
    parser.add_argument(
        "--database-env", help="variable to give the URL of a throwaway PostgreSQL in"
    )
    parser.add_argument(
        "--docs-path", help="the API documentation page, whose assets must all load (if any)"
    )
    args = parser.parse_args(argv)
    image_id = args.image_id.read_text().strip()
    try:
        run(
            args.tarball,
            image_id,
            args.repo_tag,
            args.ready_path,
            args.database_env,
            args.docs_path,
        )
    except (ImageTestError, PodmanError) as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
