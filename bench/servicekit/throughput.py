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
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from servicekit.testing import free_port

APPS = {"bare": "bench.servicekit.apps:bare", "full": "bench.servicekit.apps:full"}


# Server and load generator each get a core of their own, so that neither steals the
# other's time and the comparison measures the server alone.
SERVER_CPU, LOAD_CPU = "1", "0"


def pinned(cpu: str, command: list[str]) -> list[str]:
    return ["taskset", "--cpu-list", cpu, *command] if shutil.which("taskset") else command


def start(factory: str, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        pinned(SERVER_CPU, [
            sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port),
            "--host", "127.0.0.1", "--workers", "1", "--no-access-log", "--log-level", "warning",
        ]),
        stdout=subprocess.DEVNULL,  # the full stack's access lines: formatted, then dropped
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/quotes/AAPL"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"{factory} did not start") from None
            time.sleep(0.1)


def wrk(port: int, duration: int, connections: int) -> float:
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            f"http://127.0.0.1:{port}/quotes/AAPL",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise RuntimeError(f"{errors.group(1)} requests failed:\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("throughput: wrk is not installed: apt-get install wrk (tools/bazel has it)")
        return 1

    runs: dict[str, list[float]] = {name: [] for name in APPS}
    for round_number in range(args.rounds):
        for name, factory in APPS.items():
            port = free_port()
            server = start(factory, port)
            try:
                wrk(port, 2, args.connections)  # warm-up
                rps = wrk(port, args.duration, args.connections)
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
