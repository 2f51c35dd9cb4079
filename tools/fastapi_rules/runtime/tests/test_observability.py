"""Request IDs, JSON logs with aligned field names, and Prometheus metrics."""

import json
import logging

from fastapi import APIRouter, FastAPI
from servicekit import create_app, get_logger, public
from servicekit.testing import app_client

from tools.fastapi_rules.runtime.tests.sample_app import Settings


def log_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


async def test_request_id_is_generated_and_returned(client):
    response = await client.get("/orders/1")
    assert len(response.headers["x-request-id"]) == 32


async def test_callers_request_id_is_kept(client):
    response = await client.get("/orders/1", headers={"X-Request-ID": "trade-7f3a"})
    assert response.headers["x-request-id"] == "trade-7f3a"


async def test_one_access_line_per_request_with_documented_fields(capfd, client):
    capfd.readouterr()
    await client.get("/orders/7", headers={"X-Request-ID": "req-access-1"})
    lines = [line for line in log_lines(capfd.readouterr().out) if line["event"] == "request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET"
    assert line["route"] == "/orders/{order_id}"
    assert line["path"] == "/orders/7"
    assert line["status"] == 200
    assert line["request_id"] == "req-access-1"
    assert line["client"] == "203.0.113.7"
    assert line["service"] == "sample"
    assert line["level"] == "info"
    assert line["duration_ms"] >= 0
    assert line["timestamp"].endswith("Z")


async def test_uvicorn_loggers_go_through_the_same_formatter(capfd, client):
    capfd.readouterr()
    logging.getLogger("uvicorn.error").warning("something from uvicorn")
    (line,) = log_lines(capfd.readouterr().out)
    assert line["event"] == "something from uvicorn"
    assert line["logger"] == "uvicorn.error"
    assert line["service"] == "sample"


async def test_metrics_are_labelled_by_route_template(client):
    for order_id in (1, 2, 3):
        await client.get(f"/orders/{order_id}")
    await client.get("/not/a/route")
    text = (await client.get("/metrics")).text
    requests = [line for line in text.splitlines() if line.startswith("http_requests_total{")]
    assert any('path="/orders/{order_id}"' in line and 'status_code="200"' in line
               for line in requests)  # fmt: skip
    assert not any("/orders/1" in line or "/not/a/route" in line for line in requests)
    assert "http_request_duration_seconds_bucket{" in text
    assert "http_requests_in_progress{" in text


def app_named(name: str) -> FastAPI:
    router = APIRouter(dependencies=[public()])
    log = get_logger("tests.hello")

    @router.get("/hello")
    async def hello() -> dict[str, str]:
        log.info("hello")
        return {"from": name}

    return create_app(Settings(), name=name, routers=[router])


async def test_two_apps_in_one_process_log_under_their_own_names(capfd):
    alpha, beta = app_named("alpha"), app_named("beta")  # beta configured logging last
    capfd.readouterr()
    async with app_client(alpha) as first, app_client(beta) as second:
        for client in (first, second, first):
            assert (await client.get("/hello")).status_code == 200
    events = ("service ready", "hello", "request", "service stopped")
    lines = [line for line in log_lines(capfd.readouterr().out) if line["event"] in events]
    assert [(line["event"], line["service"]) for line in lines] == [
        ("service ready", "alpha"),
        ("service ready", "beta"),
        ("hello", "alpha"),
        ("request", "alpha"),
        ("hello", "beta"),
        ("request", "beta"),
        ("hello", "alpha"),
        ("request", "alpha"),
        ("service stopped", "beta"),
        ("service stopped", "alpha"),
    ]
