"""The database going away under load, and coming back.

The service runs as production runs it (servicekit.serve, real HTTP on loopback) against a
PostgreSQL of its own, which the test crashes in the middle of a steady stream of ingests
and reads. While the database is gone, readiness must fail within 2 s, liveness must stay
up, and every request must get either its answer or a problem+json 503; once it is back,
the service must recover within 5 s, and every trade it acknowledged must be stored.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from servicekit.postgres_server import PostgresServer, start_postgres
from servicekit.testing import free_port

from services.analytics.tests.credentials import SERVICE_KEY, SERVICE_KEY_ENV

PROBLEM = "application/problem+json"
WRITERS = 8
READERS = 2
POLL_S = 0.05


@pytest.fixture
def database() -> Iterator[PostgresServer]:
    # A server of its own: the session's shared one must not go away under other tests.
    # Durable commits, as in production: a crash may lose no acknowledged trade.
    server = start_postgres(durable_commits=True)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Service:
    url: str
    database_url: str
    log: Path

    def errors(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if '"level": "error"' in line]


@pytest.fixture
def service(database: PostgresServer, tmp_path: Path) -> Iterator[Service]:
    port = free_port()
    log = tmp_path / "service.log"
    database_url = database.create_database()
    environment = {
        **os.environ,
        "HOST": "127.0.0.1",
        "ANALYTICS_DATABASE__URL": database_url,
        # The load below is far above what a per-client limit would let through.
        "ANALYTICS_RATE_LIMIT__ENABLED": "false",
        "ANALYTICS_LOG_LEVEL": "error",
        **SERVICE_KEY_ENV,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "servicekit.serve", "--app", "services.analytics.main:app",
         "--port", str(port)],
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=2) as client:
            deadline = time.monotonic() + 60
            while not ready(client):
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"the service did not become ready:\n{log.read_text()}")
                time.sleep(0.1)
        yield Service(base, database_url, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def ready(client: httpx.Client) -> bool:
    try:
        return client.get("/health/ready").status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Load:
    """What the clients saw: statuses, refusals that were not problem+json 503s, and the
    trades the service acknowledged."""

    statuses: Counter[int] = field(default_factory=Counter)
    bad_answers: list[str] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    running: bool = True

    def record(self, answer: httpx.Response) -> None:
        self.statuses[answer.status_code] += 1
        if answer.status_code < 300:
            return
        problem = answer.headers.get("content-type") == PROBLEM
        if answer.status_code != 503 or not problem or "Retry-After" not in answer.headers:
            self.bad_answers.append(f"{answer.status_code} {answer.text[:300]}")


async def write(client: httpx.AsyncClient, load: Load, writer: int) -> None:
    for n in itertools.count():
        if not load.running:
            return
        trade_id = f"w{writer}-{n}"
        try:
            answer = await client.post(
                "/v1/trades",
                json={"client_trade_id": trade_id, "symbol": "AAPL", "size": "10",
                      "price": str(180 + n % 7), "executed_at": "2026-01-05T14:30:00Z"},
            )  # fmt: skip
        except httpx.TransportError as error:
            load.bad_answers.append(f"POST /v1/trades: {error!r}")
            continue
        load.record(answer)
        if answer.status_code in (200, 201):
            load.acknowledged.add(trade_id)
        elif answer.status_code == 503:
            await asyncio.sleep(0.02)  # a client backing off, not spinning


async def read(client: httpx.AsyncClient, load: Load) -> None:
    while load.running:
        for path in ("/v1/symbols/AAPL/stats", "/v1/symbols"):
            try:
                load.record(await client.get(path))
            except httpx.TransportError as error:
                load.bad_answers.append(f"GET {path}: {error!r}")


@dataclass
class Probe:
    """When readiness last changed, and whether liveness ever failed."""

    ready: list[tuple[float, int]] = field(default_factory=list)
    live_failures: list[str] = field(default_factory=list)

    def ready_since(self, status: int, after: float) -> float | None:
        return next((t for t, s in self.ready if t >= after and s == status), None)


async def probe(client: httpx.AsyncClient, load: Load, probe: Probe) -> None:
    while load.running:
        try:
            ready = await client.get("/health/ready")
            probe.ready.append((time.monotonic(), ready.status_code))
            live = await client.get("/health/live")
            if live.status_code != 200:
                probe.live_failures.append(f"{live.status_code} {live.text[:200]}")
        except httpx.TransportError as error:
            probe.live_failures.append(repr(error))
        await asyncio.sleep(POLL_S)


async def wait_for(condition: Probe, status: int, after: float, within_s: float) -> float:
    deadline = after + within_s + 1  # seen late by at most a poll; fail clearly after
    while time.monotonic() < deadline:
        seen = condition.ready_since(status, after)
        if seen is not None:
            return seen - after
        await asyncio.sleep(POLL_S / 2)
    pytest.fail(f"readiness did not answer {status} within {within_s} s")


async def test_database_outage_under_load(service: Service, database: PostgresServer) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    load, health = Load(), Probe()
    limits = httpx.Limits(max_connections=WRITERS + READERS + 2)
    async with (
        httpx.AsyncClient(
            base_url=service.url, timeout=10, limits=limits, headers={"X-API-Key": SERVICE_KEY}
        ) as client,
        httpx.AsyncClient(base_url=service.url, timeout=5) as monitor,
    ):
        tasks = [asyncio.create_task(write(client, load, n)) for n in range(WRITERS)]
        tasks += [asyncio.create_task(read(client, load)) for _ in range(READERS)]
        tasks.append(asyncio.create_task(probe(monitor, load, health)))
        try:
            await asyncio.sleep(1)
            before_outage = len(load.acknowledged)

            crashed = time.monotonic()
            database.halt(crash=True)
            not_ready_after = await wait_for(health, 503, crashed, within_s=2)
            await asyncio.sleep(2)  # the load goes on against a missing database
            during_outage = load.statuses[503]

            database.resume()
            back = time.monotonic()
            ready_after = await wait_for(health, 200, back, within_s=5)
            acknowledged_at_recovery = len(load.acknowledged)
            await asyncio.sleep(1)
        finally:
            load.running = False
            await asyncio.gather(*tasks)

    print(
        f"not ready {not_ready_after:.2f} s after the crash; ready {ready_after:.2f} s after "
        f"the restart; statuses {dict(load.statuses)}; {len(load.acknowledged)} acknowledged"
    )
    assert before_outage > 0, "no trade was acknowledged before the outage"
    assert not_ready_after <= 2, f"readiness still 200 {not_ready_after:.2f} s into the outage"
    assert during_outage > 0, "no request met the outage: the test did not exercise it"
    assert ready_after <= 5, f"not ready {ready_after:.2f} s after the database came back"
    assert len(load.acknowledged) > acknowledged_at_recovery, "no trade stored after recovery"
    assert not health.live_failures, health.live_failures[:5]
    assert not load.bad_answers, (load.bad_answers[:5], service.errors()[:3])
    assert set(load.statuses) <= {200, 201, 503}, load.statuses

    connection = await asyncpg.connect(service.database_url)
    try:
        stored = {
            row["client_trade_id"]
            for row in await connection.fetch("SELECT client_trade_id FROM trades")
        }
    finally:
        await connection.close()
    lost = load.acknowledged - stored
    assert not lost, f"{len(lost)} acknowledged trades are not stored, e.g. {sorted(lost)[:5]}"
