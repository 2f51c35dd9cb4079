"""Start-to-ready time of the Analytics images, FastAPI and Express: from `podman run` to
the first 200 of /health/ready.

    tools/bazel run //bench/images:startup [-- --rounds 5]

Each image is loaded into a private podman store (as the image tests load it) and run as
production runs it (uid 65532, read-only root, no capabilities, host network) against a
new, empty database of one throwaway PostgreSQL, so every start applies the migrations;
the two alternate from round to round. The clock starts before `podman run --detach` and
stops at the first 200, polled every 20 ms. Medians go to bench/images/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from podman import Podman, private_podman
from service_container import PRODUCTION_FLAGS, container_logs
from servicekit.postgres_server import free_port, start_postgres

IMAGES = {
    "fastapi": "analytics",
    "express": "analytics-express",
}
TIMEOUT_S = 60.0


def runfile(path: str) -> Path:
    root = Path(os.environ.get("RUNFILES_DIR") or Path(os.path.abspath(__file__)).parents[3])
    return root / "_main" / path


def ready_after(podman: Podman, repo_tag: str, dsn: str) -> float:
    port = free_port()
    url = f"http://127.0.0.1:{port}/health/ready"
    started = time.monotonic()
    container = podman(
        "run", "--detach", "--network", "host", *PRODUCTION_FLAGS,
        "--env", f"PORT={port}", "--env", f"ANALYTICS_DATABASE__URL={dsn}", repo_tag,
    )  # fmt: skip
    try:
        while time.monotonic() - started < TIMEOUT_S:
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(
            f"{repo_tag}: not ready in {TIMEOUT_S} s\n" + container_logs(podman, container)
        )
    finally:
        podman.run("rm", "--force", "--time", "0", container, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, help="default: bench/images/startup.json")
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {framework: [] for framework in IMAGES}
    postgres = start_postgres()
    try:
        with private_podman() as podman:
            tags = {}
            for framework, service in IMAGES.items():
                manifest = json.loads(
                    runfile(f"services/{service}/{service}.manifest.json").read_text()
                )
                tags[framework] = manifest["image"]["repo_tag"]
                podman("load", "--input", str(runfile(f"services/{service}/load.tar")))
            for round_number in range(args.rounds):
                order = list(IMAGES) if round_number % 2 == 0 else list(reversed(IMAGES))
                for framework in order:
                    seconds = ready_after(podman, tags[framework], postgres.create_database())
                    times[framework].append(round(seconds, 3))
                    print(f"round {round_number + 1}: {framework:7} ready after {seconds:.2f} s")
    finally:
        postgres.stop()
    results = {
        "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "tools/bazel run //bench/images:startup -- --rounds " + str(args.rounds),
        "loadavg_1m_end": os.getloadavg()[0],
        "median_s": {f: round(statistics.median(t), 2) for f, t in times.items()},
        "runs_s": times,
    }
    for framework, median in results["median_s"].items():
        print(f"{framework}: ready after {median:.2f} s (median of {args.rounds})")
    output = args.output
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if output is None and workspace:
        output = Path(workspace) / "bench/images/startup.json"
    if output is not None:
        output.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
