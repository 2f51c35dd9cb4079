"""Where the FastAPI service's CPU goes under the comparison's load: the service run by
servicekit.serve under cProfile (uvicorn, its HTTP parsing and event loop included), wrk
on one endpoint, then the functions that took the most time.

    tools/bazel run //bench/compare:profile [-- --endpoint inference --connections 16]

The same database, settings and token as //bench/compare gives the service; one worker on
core 1, wrk on core 0. cProfile slows Python down, so the requests/s printed are not the
benchmark's: compare the shares of the time, not the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from servicekit.postgres_server import free_port, start_postgres
from servicekit.testing import TokenIssuer

from bench.analytics.workload import wrk_script
from bench.compare.compare import (
    binary_and_manifest,
    check_endpoints,
    environment,
    prepare,
)
from bench.compare.report import ENDPOINTS, INGEST
from bench.loadgen import SERVER_CPU, pinned, wait_until_ok, wrk

APP = "services.analytics.main:app"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", choices=[e.name for e in ENDPOINTS], default="inference")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--top", type=int, default=35, help="functions to list")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumtime)")
    parser.add_argument("--output", type=Path, help="also keep the raw profile here")
    parser.add_argument("--paths", action="store_true", help="whole file paths")
    args = parser.parse_args(argv)
    endpoint = next(e for e in ENDPOINTS if e.name == args.endpoint)

    work = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    issuer = TokenIssuer.create(work, audience="analytics")
    headers = issuer.headers("analytics:read", "analytics:write", subject="bench")
    profile = work / "service.prof"
    postgres = start_postgres()
    try:
        dsn = postgres.create_database()
        asyncio.run(prepare(dsn))
        _, manifest = binary_and_manifest("fastapi")
        port = free_port()
        log = work / "service.log"
        command = [sys.executable, "-m", "cProfile", "-o", str(profile),
                   "-m", "servicekit.serve", "--app", APP, "--port", str(port)]  # fmt: skip
        process = subprocess.Popen(
            pinned(SERVER_CPU, command),
            env=environment(manifest, port, dsn, 1, issuer),
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_ok(url + "/health/ready", process, log=log, timeout_s=120)

            class Target:  # what check_endpoints reads of a server
                framework, workers = "fastapi", 1

                @staticmethod
                def url(path: str) -> str:
                    return url + path

            check_endpoints(Target, headers)  # type: ignore[arg-type]
            script, wrk_args = wrk_script(endpoint), ()
            if endpoint is INGEST:
                from datetime import UTC, datetime, timedelta

                stamp = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
                wrk_args = ("profile", stamp)
            report = wrk(
                url + endpoint.path,
                duration_s=args.duration,
                connections=args.connections,
                script=script,
                args=wrk_args,
                headers=headers,
            )
            print(
                f"{endpoint.name} at {args.connections} connections under cProfile: "
                f"{report.rps:.0f} req/s, {report.requests} requests, "
                f"{report.error_count} errors"
            )
        finally:
            # SIGINT: uvicorn stops, then raises it again, which Python turns into a
            # KeyboardInterrupt that cProfile still writes its profile after (a SIGTERM
            # raised again would end the process before that).
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    finally:
        postgres.stop()
    stream = io.StringIO()
    stats = pstats.Stats(str(profile), stream=stream)
    (stats if args.paths else stats.strip_dirs()).sort_stats(args.sort).print_stats(args.top)
    print(stream.getvalue())
    if args.output:
        shutil.copy(profile, args.output)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
