"""Requests per second of one JSON endpoint, bare FastAPI against servicekit's full stack.

    tools/bazel run //bench/servicekit:throughput [-- --duration 20 --connections 64]

Each app runs on one uvicorn worker (uvloop, httptools); wrk (Debian) loads it over
loopback. The apps alternate over several rounds so that drift of the machine hits both;
the median of each is reported, with the ratio, and written to bench/servicekit/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from servicekit.testing import free_port

from bench.loadgen import INSTALL_HINT, SERVER_CPU, pinned, wait_until_ok, wrk

APPS = {"bare": "bench.servicekit.apps:bare", "full": "bench.servicekit.apps:full"}


def start(factory: str, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        pinned(SERVER_CPU, [
            sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port),
            "--host", "127.0.0.1", "--workers", "1", "--no-access-log", "--log-level", "warning",
        ]),
        stdout=subprocess.DEVNULL,  # the full stack's access lines: formatted, then dropped
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/quotes/AAPL", server, timeout_s=30)
    except RuntimeError:
        server.kill()
        raise RuntimeError(f"{factory} did not start") from None
    return server


def requests_per_second(port: int, duration: int, connections: int) -> float:
    report = wrk(
        f"http://127.0.0.1:{port}/quotes/AAPL", duration_s=duration, connections=connections
    )
    if report.error_count:
        raise RuntimeError(f"{report.error_count} requests failed: {report.errors}")
    return report.rps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print(f"throughput: {INSTALL_HINT}")
        return 1

    runs: dict[str, list[float]] = {name: [] for name in APPS}
    for round_number in range(args.rounds):
        for name, factory in APPS.items():
            port = free_port()
            server = start(factory, port)
            try:
                requests_per_second(port, 2, args.connections)  # warm-up
                rps = requests_per_second(port, args.duration, args.connections)
            finally:
                server.terminate()
                server.wait()
            runs[name].append(rps)
            print(f"round {round_number + 1}: {name:4} {rps:10.0f} requests/s", flush=True)

    bare, full = (statistics.median(runs[name]) for name in APPS)
    results = {
        "endpoint": "GET /quotes/{symbol} -> JSON",
        "bare_rps_median": round(bare),
        "full_rps_median": round(full),
        "full_over_bare": round(full / bare, 3),
        "runs": runs,
        "settings": vars(args),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(json.dumps(results, indent=2))
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if workspace:
        out = Path(workspace) / "bench/servicekit/results.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
