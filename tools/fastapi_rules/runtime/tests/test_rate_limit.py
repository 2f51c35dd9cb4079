import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from servicekit.testing import app_client, free_port

from tools.fastapi_rules.runtime.tests.sample_app import Settings, build


def limited(limit: str) -> Settings:
    return Settings(rate_limit={"default": limit})


async def test_burst_over_the_limit_gets_429_with_retry_after():
    async with app_client(build(limited("5/minute"))) as client:
        statuses = [(await client.get("/orders/1")).status_code for _ in range(7)]
        refused = await client.get("/orders/1")
    assert statuses == [200] * 5 + [429] * 2
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:fastapi-rules:problem:rate-limited"
    assert refused.json()["detail"] == "More than 5 requests per 60 s on /orders/{order_id}."
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "5"
    assert refused.headers["ratelimit-remaining"] == "0"


async def test_headers_count_down_and_routes_and_clients_are_separate():
    app = build(limited("3/minute"))
    async with app_client(app) as client:
        remaining = [(await client.get("/orders/1")).headers["ratelimit-remaining"]
                     for _ in range(3)]  # fmt: skip
        assert remaining == ["2", "1", "0"]
        assert (await client.get("/orders/2")).status_code == 429  # same route template
        assert (await client.get("/orders")).status_code == 200  # another route
        other = httpx.ASGITransport(app=app, client=("198.51.100.9", 1234))
        async with httpx.AsyncClient(transport=other, base_url="http://t") as second:
            assert (await second.get("/orders/1")).status_code == 200  # another client


def requests_total(metrics: str, path: str, status: int) -> float:
    prefix = f'http_requests_total{{app_name="sample",method="GET",path="{path}",'
    lines = [line for line in metrics.splitlines() if line.startswith(prefix)]
    matching = [line for line in lines if f'status_code="{status}"' in line]
    return float(matching[0].rsplit(" ", 1)[1]) if matching else 0.0


@pytest.mark.parametrize(
    ("path", "template"),
    [("/orders/{}", "/orders/{order_id}"), ("/accounts/{}", "/accounts/{account_id}")],
)
async def test_refusals_are_logged_and_counted_under_their_route_template(capfd, path, template):
    async with app_client(build(limited("1/minute"))) as client:
        before = requests_total((await client.get("/metrics")).text, template, 429)
        capfd.readouterr()
        assert (await client.get(path.format(1))).status_code == 200
        assert (await client.get(path.format(2))).status_code == 429
        logged = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
        after = requests_total((await client.get("/metrics")).text, template, 429)
    access = [(line["status"], line["route"]) for line in logged if line["event"] == "request"]
    assert access == [(200, template), (429, template)]
    assert after == before + 1


async def test_per_route_limit_overrides_the_default():
    async with app_client(build(limited("1/minute"))) as client:
        statuses = [(await client.get("/slow?seconds=0")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


async def test_health_and_metrics_are_never_limited():
    async with app_client(build(limited("1/minute"))) as client:
        for _ in range(3):
            assert (await client.get("/health/live")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


async def test_replicas_count_together_in_redis(redis_url):
    settings = Settings(rate_limit={"default": "4/minute", "storage_url": redis_url})
    async with app_client(build(settings)) as first, app_client(build(settings)) as second:
        statuses = [
            (await first.get("/orders/1")).status_code,
            (await second.get("/orders/1")).status_code,
            (await first.get("/orders/1")).status_code,
            (await second.get("/orders/1")).status_code,
            (await first.get("/orders/1")).status_code,
        ]
        refused = await second.get("/orders/1")
    assert statuses == [200, 200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.headers["ratelimit-remaining"] == "0"
