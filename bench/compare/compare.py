"""FastAPI against Express: the Analytics service and its Express twin under the same load.

    tools/bazel run //bench/compare [-- --duration 10 --rounds 3]

One throwaway PostgreSQL (Debian's, through servicekit.postgres_server as the tests start
it). For each workers setting (one process, then one per core: WEB_CONCURRENCY), each
service gets a database of its own with the same schema and sample trades
(services/analytics's migrations and sample.py), and runs as `bazel run` runs it (the
built binary, its manifest's environment) with the same ANALYTICS_* settings: the same
token issuer trusted (servicekit.testing.TokenIssuer; every request carries a bearer
token), a rate limit high enough never to refuse (its bookkeeping still runs), access
lines written to /dev/null. wrk (Debian, one thread) loads each endpoint at each
connection count over loopback; FastAPI and Express take turns, their order alternating
from round to round, so that the shared machine's drift hits both. One worker: the server
has core 1, wrk and PostgreSQL core 0. One per core: the server's workers may use every
core, wrk and PostgreSQL stay on core 0 (a 2-core machine has none to spare). As root
all run at niceness -10 (--nice). Medians of the rounds go to bench/results/: NAME.json,
NAME.md (the table) and NAME.png (the chart).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from servicekit.postgres_server import PostgresServer, free_port, start_postgres
from servicekit.testing import TokenIssuer

from bench.analytics.workload import (
    check_stored,
    children,
    cpu_list,
    cpu_seconds,
    prediction_body,
    stored_trades,
    wrk_script,
)
from bench.compare.report import (
    ENDPOINTS,
    FRAMEWORKS,
    INFERENCE,
    INGEST,
    SERVICES,
    Memory,
    chart,
    cpu_table,
    load_summary,
    markdown_table,
    ratio_table,
    ratios,
    summarize,
    tree,
    tree_memory,
)
from bench.loadgen import INSTALL_HINT, LOAD_CPU, SERVER_CPU, WrkReport, pinned, wait_until_ok, wrk

PATHS = {e.name: f"{e.method} {e.path}" for e in ENDPOINTS}
# How often the server's process tree is measured during a run.
MEMORY_INTERVAL_S = 0.25


def runfiles_root() -> Path:
    """The runfiles tree this program runs from (under `bazel run`, or as a test's data):
    the services' binaries and manifests are there."""
    if os.environ.get("RUNFILES_DIR"):
        return Path(os.environ["RUNFILES_DIR"])
    # .../<runfiles>/_main/bench/compare/compare.py, not resolved: the source tree's file
    # is a symlink's target.
    return Path(os.path.abspath(__file__)).parents[3]


def binary_and_manifest(framework: str) -> tuple[Path, dict[str, Any]]:
    service = SERVICES[framework]
    package = runfiles_root() / "_main" / "services" / service
    manifest = json.loads((package / f"{service}.manifest.json").read_text())
    return package / service, manifest


@dataclass
class Server:
    framework: str
    workers: int
    port: int
    dsn: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        pids = tree(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in pids[1:]:  # a worker its supervisor left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def environment(
    manifest: dict[str, Any], port: int, dsn: str, workers: int, issuer: TokenIssuer
) -> dict[str, str]:
    """What `bazel run` gives the binary (the manifest's record), then the settings both
    services read; none of the caller's ANALYTICS_* leak in."""
    prefix = {"fastapi": "FASTAPI", "express": "EXPRESS"}[manifest["framework"]]
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ANALYTICS_")
        # Under `bazel run` these would make the service start a database of its own.
        and key not in ("BUILD_WORKSPACE_DIRECTORY", "BUILD_WORKING_DIRECTORY", "PORT")
    }
    return {
        **inherited,
        **manifest["env"],
        f"{prefix}_SERVICE_NAME": manifest["name"],
        f"{prefix}_SERVICE_TITLE": manifest["title"],
        f"{prefix}_SERVICE_VERSION": manifest["version"],
        f"{prefix}_SERVICE_PORT": str(manifest["port"]),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "ANALYTICS_DATABASE__URL": dsn,
        # The default (100/s per caller and route) would refuse most of the load; this one
        # never refuses, and its bookkeeping is still measured.
        "ANALYTICS_RATE_LIMIT__DEFAULT": "1000000/second",
        "ANALYTICS_AUTH__JWKS_FILE": str(issuer.auth.jwks_file),
        "ANALYTICS_AUTH__ISSUER": issuer.auth.issuer or "",
        "ANALYTICS_AUTH__AUDIENCE": issuer.audience,
        # As the Python base image sets it: each access line written when the request
        # ends, as Node writes its own.
        "PYTHONUNBUFFERED": "1",
        "DRAIN_SECONDS": "0",  # no drain period when the benchmark stops it
    }


async def prepare(dsn: str) -> int:
    """The service's migrations and sample trades; returns the trades loaded. Both
    services apply the same migrations (the twin's files) and find them applied."""
    # Imported here, each alone in its block: ruff's isort files `services` under first
    # party in the workspace but third party in this package's lint sandbox.
    from services.analytics.migrations import load_migrations, migrate
    from services.analytics.sample import load_sample

    connection = await asyncpg.connect(dsn)
    try:
        await migrate(connection, load_migrations())
        return await load_sample(connection)
    finally:
        await connection.close()


def start_server(
    framework: str,
    workers: int,
    dsn: str,
    issuer: TokenIssuer,
    cpus: str,
    nice: int,
    log_dir: Path,
) -> Server:
    binary, manifest = binary_and_manifest(framework)
    port = free_port()
    log = log_dir / f"{framework}-{workers}.log"
    process = subprocess.Popen(
        pinned(cpus, [str(binary)], nice),
        env=environment(manifest, port, dsn, workers, issuer),
        # Access lines are formatted and written, as in production, then dropped.
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        # Its own process group: a Ctrl-C of the benchmark reaches it through stop().
        start_new_session=True,
    )
    server = Server(framework, workers, port, dsn, process, log)
    try:
        wait_until_ok(server.url("/health/ready"), process, log=log, timeout_s=120)
    except BaseException:
        server.stop()
        raise
    return server


def request(url: str, headers: dict[str, str], body: object | None = None) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    sent = dict(headers) | ({"Content-Type": "application/json"} if data else {})
    call = urllib.request.Request(url, data=data, headers=sent)
    try:
        with urllib.request.urlopen(call, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def check_endpoints(server: Server, headers: dict[str, str]) -> None:
    """Each endpoint answers 2xx once, so that a run never measures refusals."""
    trade = {
        "client_trade_id": f"check-{server.framework}-{server.workers}",
        "symbol": "MSFT",
        "size": "1",
        "price": "100.00",
        "executed_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
    }
    bodies = {INGEST.name: trade, INFERENCE.name: prediction_body()}
    for endpoint in ENDPOINTS:
        status, text = request(server.url(endpoint.path), headers, bodies.get(endpoint.name))
        if not 200 <= status < 300:
            raise RuntimeError(
                f"{server.framework}: {endpoint.method} {endpoint.path} answered {status}: "
                f"{text[:500]}"
            )


class MemorySampler:
    """The largest memory of a process tree, sampled in a thread while a run lasts."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak = Memory(0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            memory = tree_memory(self.root)
            if memory.rss_kib > self.peak.rss_kib:
                self.peak = memory
            if self._stop.wait(MEMORY_INTERVAL_S):
                return

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def tree_cpu_seconds(root: int) -> float:
    total = 0.0
    for pid in tree(root):
        with contextlib.suppress(OSError):  # a process that ended between list and read
            total += cpu_seconds(pid)
    return total


@dataclass
class Bench:
    duration_s: int
    warmup_s: int
    nice: int
    headers: dict[str, str]
    tag: str
    loads: list[float] = field(default_factory=list)

    def run(
        self, server: Server, endpoint_name: str, connections: int, round_number: int
    ) -> dict[str, Any]:
        endpoint = next(e for e in ENDPOINTS if e.name == endpoint_name)
        script = wrk_script(endpoint)
        # Client trade IDs start with a prefix of their own per run: its rows are counted.
        prefix = f"{self.tag}-w{server.workers}-r{round_number}-c{connections}-{server.framework}"

        def load(duration_s: int, phase: str) -> WrkReport:
            # A second ago: the services refuse trades more than a minute in the future.
            executed_at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
            args = (f"{prefix}-{phase}", executed_at) if endpoint is INGEST else ()
            return wrk(
                server.url(endpoint.path),
                duration_s=duration_s,
                connections=connections,
                script=script,
                args=args,
                nice=self.nice,
                headers=self.headers,
            )

        if self.warmup_s:
            load(self.warmup_s, "warmup")
        load_before = os.getloadavg()[0]
        self.loads.append(load_before)
        cpu_before = tree_cpu_seconds(server.process.pid)
        started = time.monotonic()
        with MemorySampler(server.process.pid) as memory:
            report = load(self.duration_s, "run")
        wall_s = time.monotonic() - started
        cpu_s = tree_cpu_seconds(server.process.pid) - cpu_before
        self.loads.append(os.getloadavg()[0])
        result: dict[str, Any] = {
            "workers": str(server.workers),
            "framework": server.framework,
            "endpoint": endpoint.name,
            "connections": connections,
            "round": round_number,
            "requests": report.requests,
            "rps": round(report.rps, 1),
            "p50_ms": report.p50_ms,
            "p99_ms": report.p99_ms,
            "max_ms": report.max_ms,
            "errors": report.error_count,
            "error_kinds": {kind: n for kind, n in report.errors.items() if n},
            "peak_rss_kib": memory.peak.rss_kib,
            "processes": memory.peak.processes,
            # Cores' worth of CPU the server's processes used: how close to saturation.
            "server_cpu": round(cpu_s / wall_s, 3),
            "server_cpu_us_per_request": round(cpu_s / max(report.requests, 1) * 1e6),
            "loadavg_1m_before": load_before,
        }
        if endpoint is INGEST:
            inserted = asyncio.run(stored_trades(server.dsn, f"{prefix}-run-"))
            answered = report.requests - report.errors["status"]
            try:
                check_stored(answered, report.requests, connections, inserted)
            except RuntimeError as error:
                raise RuntimeError(f"{server.framework}: {error}") from None
            result["inserted"] = inserted
        flag = f"  errors {result['error_kinds']}" if report.error_count else ""
        print(
            f"w={server.workers} round {round_number}: {endpoint.name:10} c={connections:<3} "
            f"{server.framework:7} {report.rps:8.0f} req/s  p50 {report.p50_ms:7.2f} ms  "
            f"p99 {report.p99_ms:7.2f} ms  cpu {result['server_cpu']:.2f}  "
            f"rss {memory.peak.rss_kib / 1024:.0f} MiB ({memory.peak.processes})  "
            f"load {load_before:.2f}{flag}",
            flush=True,
        )
        return result


def pin_postgres(postgres: PostgresServer, cpus: set[int], nice: int) -> None:
    """PostgreSQL onto ``cpus`` at niceness ``nice``: the postmaster and the processes it
    already has; backends it forks later inherit both."""
    for pid in [postgres.process.pid, *children(postgres.process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(pid, cpus)
            if nice:
                os.setpriority(os.PRIO_PROCESS, pid, nice)


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def default_output_dir() -> Path | None:
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    return Path(workspace) / "bench" / "results" if workspace else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--endpoints", nargs="+", choices=[e.name for e in ENDPOINTS], default=None)
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=sorted({1, os.cpu_count() or 1}),
        help="WEB_CONCURRENCY settings (default: 1 and one per core)",
    )
    parser.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS, default=list(FRAMEWORKS))
    parser.add_argument(
        "--nice",
        type=int,
        default=-10 if os.geteuid() == 0 else 0,
        help="niceness of the servers, PostgreSQL and wrk (default -10 as root, else 0)",
    )
    parser.add_argument("--name", default="compare", help="results' file names: NAME.json ...")
    parser.add_argument(
        "--output-dir", type=Path, default=None, help="default: bench/results of the workspace"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"compare: {INSTALL_HINT if tool == 'wrk' else 'taskset is missing'}")
            return 1
    output_dir = args.output_dir or default_output_dir()
    if output_dir is None:
        print("compare: give --output-dir (or run it with tools/bazel run)")
        return 1
    endpoints = [e.name for e in ENDPOINTS if args.endpoints is None or e.name in args.endpoints]
    cores = os.cpu_count() or 1
    runs_per_round = len(endpoints) * len(args.connections) * len(args.frameworks)
    total_s = len(args.workers) * args.rounds * runs_per_round * (args.warmup + args.duration + 0.5)
    print(
        f"{len(args.workers)} workers settings x {args.rounds} rounds x {runs_per_round} runs "
        f"of {args.warmup} + {args.duration} s: about {total_s / 60:.0f} minutes",
        flush=True,
    )

    started_at = datetime.now(UTC)
    tag = started_at.strftime("cmp-%Y%m%dT%H%M%S")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-compare-"))  # the servers' stderr
    issuer = TokenIssuer.create(log_dir, audience="analytics")
    # One token for the whole run: verified once, then each service's cache answers.
    headers = issuer.headers("analytics:read", "analytics:write", subject="bench")
    bench = Bench(args.duration, args.warmup, args.nice, headers, tag)
    runs: list[dict[str, Any]] = []
    trades = 0
    postgres = start_postgres()
    try:
        pin_postgres(postgres, cpu_list(LOAD_CPU), args.nice)
        for workers in args.workers:
            # One worker: a core of its own. More: every core (wrk and PostgreSQL share
            # core 0 with them; on two cores there is none to set apart).
            cpus = SERVER_CPU if workers == 1 else f"0-{cores - 1}"
            servers: dict[str, Server] = {}
            try:
                for framework in args.frameworks:
                    dsn = postgres.create_database()
                    trades = asyncio.run(prepare(dsn))
                    servers[framework] = start_server(
                        framework, workers, dsn, issuer, cpus, args.nice, log_dir
                    )
                    check_endpoints(servers[framework], headers)
                    print(
                        f"{framework}: {workers} worker(s) on CPUs {cpus}, ready; "
                        f"{trades} sample trades",
                        flush=True,
                    )
                for round_number in range(1, args.rounds + 1):
                    order = args.frameworks if round_number % 2 else args.frameworks[::-1]
                    for endpoint in endpoints:
                        for connections in args.connections:
                            for framework in order:
                                runs.append(
                                    bench.run(
                                        servers[framework], endpoint, connections, round_number
                                    )
                                )
            finally:
                for server in servers.values():
                    server.stop()
    finally:
        postgres.stop()
        shutil.rmtree(log_dir, ignore_errors=True)

    rows = summarize(runs)
    ratio_rows = ratios(rows, runs)
    loads = load_summary(bench.loads)
    results: dict[str, Any] = {
        "recorded": started_at.isoformat(timespec="seconds"),
        "command": "tools/bazel run //bench/compare -- "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "endpoints": PATHS,
        "dataset": f"{trades} sample trades (services/analytics/sample.py) in each service's "
        "own database; statistics over AAPL's, ingest writes other symbols",
        "machine": {
            "cpus": cores,
            "cpu_model": cpu_model(),
            "python": platform.python_version(),
            "loadavg_1m": loads,
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "connections": args.connections,
            "workers": args.workers,
            "nice": args.nice,
            "wrk_cpu": LOAD_CPU,
            "postgres_cpu": LOAD_CPU,
            "server_cpu_one_worker": SERVER_CPU,
            "server_cpu_more_workers": f"0-{cores - 1}",
        },
        "summary": rows,
        "ratios": ratio_rows,
        "runs": runs,
    }
    table = markdown_table(rows, ratio_rows, PATHS)
    ratio_md = ratio_table(ratio_rows)
    print(table)
    print()
    print(ratio_md)
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path = output_dir / f"{args.name}.json"
    md_path = output_dir / f"{args.name}.md"
    png_path = output_dir / f"{args.name}.png"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(
        f"# FastAPI and Express: Analytics under the same load\n\n"
        f"`{results['command']}`, {results['recorded']}; {cores} cores ({cpu_model()}), "
        f"1-minute load average {loads.get('min', 0)} to {loads.get('max', 0)} "
        f"(median {loads.get('median', 0)}) over the runs. {args.rounds} rounds of "
        f"{args.warmup} + {args.duration} s per run; medians of the rounds; each cell "
        f"FastAPI / Express. Errors: answers other than 2xx plus socket errors. Memory: "
        f"resident set of the server's process tree, summed, the highest sampled.\n\n"
        f"{table}\n\nFastAPI / Express, requests/s (✓ target met, ✗ missed):\n\n{ratio_md}\n"
        f"\nCPU of the server's processes per answer, us, FastAPI / Express:\n\n"
        f"{cpu_table(rows)}\n"
    )
    chart(
        rows,
        png_path,
        f"Analytics: FastAPI and Express, requests/s ({started_at.date().isoformat()}, "
        f"{cores} cores, load {loads.get('median', 0)})",
    )
    print(f"wrote {json_path}, {md_path}, {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
