"""Latency and throughput of the analytics service: statistics, ingest and inference at
1, 16 and 64 connections, and inference with micro-batching on against off.

    tools/bazel run //bench/analytics:throughput [-- --duration 10 --rounds 3]

A throwaway PostgreSQL (Debian's, as the tests start it) gets the service's migrations and
its sample trades. The service runs as `bazel run` runs it (servicekit.serve: uvicorn, one
worker) twice, with micro-batching on (the defaults) and off (window 0, max batch 1). wrk
(Debian) loads it over loopback with one thread. The service has a core to itself; wrk and
PostgreSQL share the other; as root all three run at niceness -10 (--nice), ahead of the
machine's other work. Each run follows a warm-up; rounds repeat every run and the
medians are reported; the on/off pair alternates its order from round to round so that
drift of the shared machine hits both. Results: bench/analytics/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from servicekit.postgres_server import PostgresServer, free_port, start_postgres
from servicekit.testing import TokenIssuer

from bench.analytics.workload import (
    ENDPOINTS,
    INFERENCE,
    INGEST,
    STATS_SYMBOL,
    Endpoint,
    check_stored,
    children,
    cpu_list,
    cpu_seconds,
    markdown_table,
    metric_total,
    stored_trades,
    summarize,
    wrk_script,
)
from bench.loadgen import (
    INSTALL_HINT,
    LOAD_CPU,
    SERVER_CPU,
    WrkReport,
    pinned,
    wait_until_ok,
    wrk,
)

APP = "services.analytics.main:app"
# "Off" is one model call per request: no window to wait for others, batches of one.
BATCHING = {
    "on": {},
    "off": {"ANALYTICS_INFERENCE__WINDOW_S": "0", "ANALYTICS_INFERENCE__MAX_BATCH": "1"},
}


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def metrics(self) -> str:
        with urllib.request.urlopen(self.url("/metrics"), timeout=10) as response:
            return response.read().decode()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(
    name: str, dsn: str, extra_env: dict[str, str], log_dir: Path, nice: int, issuer: TokenIssuer
) -> Server:
    env = {
        key: value
        for key, value in os.environ.items()
        # Under `bazel run` these would make the service start a database of its own (and
        # PORT would override the port chosen here).
        if key not in ("BUILD_WORKSPACE_DIRECTORY", "BUILD_WORKING_DIRECTORY", "PORT")
    }
    env |= {
        "HOST": "127.0.0.1",
        "FASTAPI_SERVICE_NAME": "analytics",
        "ANALYTICS_DATABASE__URL": dsn,
        # The default limit (100/s per client and route) would refuse most of the load;
        # high enough never to refuse, its bookkeeping is still measured.
        "ANALYTICS_RATE_LIMIT__DEFAULT": "1000000/second",
        "DRAIN_SECONDS": "0",  # no drain period when the benchmark stops it
        # Trusts the harness's key pair: every request carries a token, as in production.
        "ANALYTICS_AUTH__JWKS_FILE": str(issuer.auth.jwks_file),
        "ANALYTICS_AUTH__ISSUER": issuer.auth.issuer or "",
        "ANALYTICS_AUTH__AUDIENCE": issuer.audience,
        **extra_env,
    }
    port = free_port()
    log = log_dir / f"{name}.log"
    process = subprocess.Popen(
        pinned(SERVER_CPU, [sys.executable, "-m", "servicekit.serve", "--app", APP,
                            "--port", str(port)], nice),
        env=env,
        # The JSON access lines are formatted and written, as in production, then dropped.
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )  # fmt: skip
    server = Server(name, port, process, log)
    try:
        wait_until_ok(server.url("/health/ready"), process, log=log)
    except BaseException:
        server.stop()
        raise
    return server


async def prepare(dsn: str) -> tuple[int, int]:
    """The service's migrations and sample trades; returns (migrations, trades) loaded."""
    # Imported here, each alone in its block: ruff's isort files `services` under first
    # party in the workspace but third party in this package's lint sandbox, and a block
    # of one import sorts the same in both.
    from services.analytics.migrations import load_migrations, migrate
    from services.analytics.sample import load_sample

    connection = await asyncpg.connect(dsn)
    try:
        applied = await migrate(connection, load_migrations())
        return len(applied), await load_sample(connection)
    finally:
        await connection.close()


def pin_postgres(postgres: PostgresServer, cpus: set[int], nice: int) -> None:
    """PostgreSQL onto ``cpus`` at niceness ``nice``: the postmaster and the processes it
    already has; backends it forks later inherit both."""
    for pid in [postgres.process.pid, *children(postgres.process.pid)]:
        with contextlib.suppress(ProcessLookupError):  # a helper that has exited since
            os.sched_setaffinity(pid, cpus)
            if nice:
                os.setpriority(os.PRIO_PROCESS, pid, nice)


def _postgres_cpu(postgres: PostgresServer) -> dict[int, float]:
    pids = [postgres.process.pid, *children(postgres.process.pid)]
    times: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # a backend that ended between list and read
            times[pid] = cpu_seconds(pid)
    return times


@dataclass
class Bench:
    dsn: str
    postgres: PostgresServer
    duration_s: int
    warmup_s: int
    token: str
    nice: int
    headers: dict[str, str]

    def run(
        self, server: Server, endpoint: Endpoint, connections: int, round_number: int
    ) -> dict[str, Any]:
        url = server.url(endpoint.path)
        script = wrk_script(endpoint)
        # Client trade IDs start with a prefix of their own per run: its rows are counted.
        tag = f"{self.token}-r{round_number}-c{connections}-{server.name}"

        def load(duration_s: int, prefix: str) -> WrkReport:
            # A second ago: the service refuses trades more than a minute in the future.
            executed_at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
            args = (prefix, executed_at) if endpoint is INGEST else ()
            return wrk(
                url,
                duration_s=duration_s,
                connections=connections,
                script=script,
                args=args,
                nice=self.nice,
                headers=self.headers,
            )

        if self.warmup_s:
            load(self.warmup_s, f"{tag}-warmup")
        metrics_before = server.metrics() if endpoint is INFERENCE else ""
        cpu_before = cpu_seconds(server.process.pid)
        postgres_before = _postgres_cpu(self.postgres)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        report = load(self.duration_s, f"{tag}-run")
        wall_s = time.monotonic() - started
        cpu_s = cpu_seconds(server.process.pid) - cpu_before
        postgres_after = _postgres_cpu(self.postgres)
        postgres_s = sum(t - postgres_before.get(pid, 0.0) for pid, t in postgres_after.items())
        result: dict[str, Any] = {
            "endpoint": endpoint.name,
            "connections": connections,
            "server": server.name,
            "round": round_number,
            "requests": report.requests,
            "rps": round(report.rps, 1),
            "p50_ms": report.p50_ms,
            "p99_ms": report.p99_ms,
            "max_ms": report.max_ms,
            "errors": report.error_count,
            "error_kinds": {kind: n for kind, n in report.errors.items() if n},
            # Share of one core: how close the service (and PostgreSQL) came to saturation.
            "server_cpu": round(cpu_s / wall_s, 3),
            "postgres_cpu": round(postgres_s / wall_s, 3),
            "server_cpu_us_per_request": round(cpu_s / max(report.requests, 1) * 1e6),
            "loadavg_1m_before": load_before,
        }
        if endpoint is INGEST:
            inserted = asyncio.run(stored_trades(self.dsn, f"{tag}-run-"))
            answered = report.requests - report.errors["status"]
            check_stored(answered, report.requests, connections, inserted)
            result["inserted"] = inserted
        if endpoint is INFERENCE:
            after = server.metrics()

            def delta(name: str) -> float:
                return metric_total(after, name) - metric_total(metrics_before, name)

            calls = delta("inference_batch_rows_count")
            result["model_calls"] = int(calls)
            result["rows_per_call"] = round(delta("inference_batch_rows_sum") / calls, 2)
            result["model_call_ms"] = round(
                delta("inference_model_call_seconds_sum") / calls * 1000, 3
            )
        flag = f" errors {result['error_kinds']}" if report.error_count else ""
        print(
            f"round {round_number}: {endpoint.name:10} c={connections:<3} {server.name:3} "
            f"{report.rps:8.0f} req/s  p50 {report.p50_ms:7.2f} ms  p99 {report.p99_ms:7.2f} ms"
            f"  server cpu {result['server_cpu']:.2f}  postgres cpu {result['postgres_cpu']:.2f}"
            + (f"  rows/call {result['rows_per_call']}" if endpoint is INFERENCE else "")
            + flag,
            flush=True,
        )
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--connections", type=int, nargs="+", default=[1, 16, 64], help="wrk connections"
    )
    parser.add_argument(
        "--batching-connections", type=int, default=64, help="connections of the on/off pair"
    )
    parser.add_argument("--endpoints", nargs="+", choices=[e.name for e in ENDPOINTS], default=None)
    parser.add_argument(
        "--window-s", type=float, help="batching window of the 'on' service (default: its own)"
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=-10 if os.geteuid() == 0 else 0,
        help="niceness of the service, PostgreSQL and wrk (default -10 as root, else 0)",
    )
    parser.add_argument("--postgres-cpu", default=LOAD_CPU, help="taskset CPU list of PostgreSQL")
    parser.add_argument("--output", type=Path, help="default: bench/analytics/results.json")
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"throughput: {INSTALL_HINT if tool == 'wrk' else 'taskset is missing'}")
            return 1
    endpoints = [e for e in ENDPOINTS if args.endpoints is None or e.name in args.endpoints]
    connections = {
        # Inference also at the on/off pair's connections, which then runs twice.
        e: sorted(
            set(args.connections) | ({args.batching_connections} if e is INFERENCE else set())
        )
        for e in endpoints
    }
    loads = sum(len(counts) + (e is INFERENCE) for e, counts in connections.items())
    print(
        f"{args.rounds} rounds of {loads} runs of {args.warmup} + {args.duration} s: about "
        f"{args.rounds * loads * (args.warmup + args.duration) // 60 + 1} minutes",
        flush=True,
    )

    token = datetime.now(UTC).strftime("bench-%Y%m%dT%H%M%S")
    runs: list[dict[str, Any]] = []
    postgres = start_postgres()
    servers: dict[str, Server] = {}
    log_dir = Path(tempfile.mkdtemp(prefix="bench-analytics-"))  # the servers' stderr
    issuer = TokenIssuer.create(log_dir, audience="analytics")
    try:
        pin_postgres(postgres, cpu_list(args.postgres_cpu), args.nice)
        dsn = postgres.create_database()
        migrations, trades = asyncio.run(prepare(dsn))
        print(f"database: {migrations} migrations, {trades} sample trades", flush=True)
        for name, extra_env in BATCHING.items():
            if name == "on" and args.window_s is not None:
                extra_env = {"ANALYTICS_INFERENCE__WINDOW_S": str(args.window_s)}
            servers[name] = start_server(name, dsn, extra_env, log_dir, args.nice, issuer)
        # One token for the whole run: verified once, then the service's cache answers.
        headers = issuer.headers("analytics:read", "analytics:write", subject="bench")
        bench = Bench(dsn, postgres, args.duration, args.warmup, token, args.nice, headers)
        for round_number in range(1, args.rounds + 1):
            for endpoint in endpoints:
                for count in connections[endpoint]:
                    if endpoint is INFERENCE and count == args.batching_connections:
                        # Alternating which goes first: drift hits on and off alike.
                        order = ["on", "off"] if round_number % 2 else ["off", "on"]
                        for name in order:
                            runs.append(bench.run(servers[name], endpoint, count, round_number))
                    else:
                        runs.append(bench.run(servers["on"], endpoint, count, round_number))
    finally:
        for server in servers.values():
            server.stop()
        postgres.stop()
        shutil.rmtree(log_dir, ignore_errors=True)

    table_rows = summarize([r for r in runs if r["server"] == "on"])
    paths = {e.name: f"{e.method} {e.path}" for e in ENDPOINTS}
    results: dict[str, Any] = {
        "recorded": datetime.now(UTC).date().isoformat(),
        "endpoints": paths,
        "dataset": f"{trades} sample trades (services/analytics/sample.py); statistics over "
        f"all of {STATS_SYMBOL}'s, ingest writes the other symbols",
        "summary": table_rows,
    }
    pairs = [r for r in runs if r["endpoint"] == INFERENCE.name
             and r["connections"] == args.batching_connections]  # fmt: skip
    if pairs:
        by_round: dict[int, dict[str, float]] = {}
        for r in pairs:
            by_round.setdefault(r["round"], {})[r["server"]] = r["rps"]
        on = statistics.median(r["rps"] for r in pairs if r["server"] == "on")
        off = statistics.median(r["rps"] for r in pairs if r["server"] == "off")

        def median_of(server: str, key: str) -> float:
            return statistics.median(r[key] for r in pairs if r["server"] == server)

        results["batching"] = {
            "connections": args.batching_connections,
            "on_rps_median": round(on, 1),
            "off_rps_median": round(off, 1),
            "on_over_off": round(on / off, 2),
            "per_round": [round(v["on"] / v["off"], 2) for _, v in sorted(by_round.items())],
            "rows_per_call": {s: median_of(s, "rows_per_call") for s in BATCHING},
            "model_call_ms": {s: median_of(s, "model_call_ms") for s in BATCHING},
            "p50_ms": {s: median_of(s, "p50_ms") for s in BATCHING},
            "p99_ms": {s: median_of(s, "p99_ms") for s in BATCHING},
            "server_cpu": {s: median_of(s, "server_cpu") for s in BATCHING},
        }
    results |= {
        "settings": vars(args)
        | {"output": str(args.output) if args.output else None}
        | {"server_cpu": SERVER_CPU, "wrk_cpu": LOAD_CPU},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_1m_end": os.getloadavg()[0],
        },
        "runs": runs,
    }
    print(markdown_table(table_rows, paths))
    if "batching" in results:
        batching = results["batching"]
        print(
            f"inference at {args.batching_connections} connections: batching on "
            f"{batching['on_rps_median']:.0f} req/s, off {batching['off_rps_median']:.0f} req/s, "
            f"on/off {batching['on_over_off']} (per round {batching['per_round']})"
        )
    output = args.output
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if output is None and workspace:
        output = Path(workspace) / "bench/analytics/results.json"
    if output is not None:
        output.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
