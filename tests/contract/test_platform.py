"""The platform contract (docs/logging.md, docs/services.md): health, metrics, request IDs,
access lines and content types, the same for every service."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from contract_support import MAX_BODY_BYTES, RATE_LIMIT, Service, media_type, raw_post, scrape

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
# prometheus_client's default buckets, which both services' histogram has.
BUCKETS = [
    "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75",
    "1.0", "2.5", "5.0", "7.5", "10.0", "+Inf",
]  # fmt: skip


def trade(client_trade_id: str) -> dict[str, str]:
    return {
        "client_trade_id": client_trade_id,
        "symbol": "AAPL",
        "size": "1",
        "price": "100",
        "executed_at": "2011-06-01T12:00:00Z",
    }


def test_live(client: httpx.Client) -> None:
    answer = client.get("/health/live")
    assert answer.status_code == 200
    assert media_type(answer) == "application/json"
    assert answer.json() == {"status": "pass"}


def test_ready_report(client: httpx.Client, service: Service) -> None:
    answer = client.get("/health/ready")
    assert answer.status_code == 200
    assert media_type(answer) == "application/json"
    report = answer.json()
    assert set(report) == {"status", "service", "version", "checks"}
    assert report["status"] == "pass"
    assert report["service"] == service.name
    assert report["version"] == service.version
    assert "postgres" in report["checks"]
    for name, check in report["checks"].items():
        assert set(check) <= {"status", "duration_ms", "detail"}, name
        assert check["status"] == "pass", name
        assert isinstance(check["duration_ms"], int | float)
        assert check["duration_ms"] >= 0


@pytest.mark.uses("POST /v1/predictions")
def test_ready_checks_the_model(client: httpx.Client) -> None:
    # Readiness fails until the model is loaded (docs/analytics.md, Serving).
    assert "inference" in client.get("/health/ready").json()["checks"]


@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/metrics"])
def test_platform_paths_are_not_rate_limited(client: httpx.Client, path: str) -> None:
    for _ in range(RATE_LIMIT + 1):
        answer = client.get(path)
        assert answer.status_code == 200
        assert "ratelimit-limit" not in answer.headers


# Request IDs


def test_a_request_id_is_echoed(client: httpx.Client) -> None:
    answer = client.get("/v1/symbols", headers={"X-Request-ID": "desk7:order-42_a.b"})
    assert answer.headers["x-request-id"] == "desk7:order-42_a.b"


def test_a_request_id_of_128_characters_is_echoed(client: httpx.Client) -> None:
    given = "r" * 128
    assert (
        client.get("/v1/symbols", headers={"X-Request-ID": given}).headers["x-request-id"] == given
    )


def test_a_request_id_is_generated(client: httpx.Client) -> None:
    first = client.get("/v1/symbols").headers["x-request-id"]
    second = client.get("/v1/symbols").headers["x-request-id"]
    assert HEX_ID.match(first)
    assert HEX_ID.match(second)
    assert first != second


@pytest.mark.parametrize(
    "given",
    [b"has space", b"r" * 129, b"", "caf\u00e9".encode()],
    ids=["space", "129-characters", "empty", "non-ascii"],
)
def test_an_unacceptable_request_id_is_replaced(client: httpx.Client, given: bytes) -> None:
    answer = client.get("/v1/symbols", headers=[(b"X-Request-ID", given)])
    assert HEX_ID.match(answer.headers["x-request-id"])


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/health/live"), ("GET", "/nowhere"), ("DELETE", "/v1/symbols")],
)
def test_every_answer_has_a_request_id(client: httpx.Client, method: str, path: str) -> None:
    answer = client.request(method, path, headers={"X-Request-ID": "every-answer"})
    assert answer.headers["x-request-id"] == "every-answer"


# Access lines


@pytest.mark.parametrize(
    ("path", "route", "status"),
    [
        ("/v1/symbols?limit=1", "/v1/symbols", 200),
        ("/v1/symbols?limit=0", "/v1/symbols", 422),
        ("/nowhere", "unmatched", 404),
    ],
)
def test_an_access_line_per_request(
    client: httpx.Client,
    service: Service,
    client_address: str,
    path: str,
    route: str,
    status: int,
) -> None:
    request_id = uuid.uuid4().hex
    client.get(path, headers={"X-Request-ID": request_id})
    line = service.access_line(request_id)
    assert line["event"] == "request"
    assert line["level"] == "info"
    assert line["service"] == service.name
    assert line["logger"] in ("servicekit.access", "express.access")
    assert TIMESTAMP.match(line["timestamp"]), line
    assert line["method"] == "GET"
    assert line["route"] == route
    assert line["path"] == path.partition("?")[0]
    assert line["status"] == status
    assert isinstance(line["duration_ms"], int | float)
    assert line["duration_ms"] >= 0
    assert line["client"] == client_address


# Metrics


def test_metrics_are_prometheus_text(client: httpx.Client, service: Service) -> None:
    client.get("/v1/symbols")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    # The exposition format's version parameter is the client library's (0.0.4 or 1.0.0);
    # both are Prometheus text.
    assert media_type(answer) == "text/plain"
    metrics = scrape(client)
    assert metrics.types["http_requests"] == "counter"
    assert metrics.types["http_request_duration_seconds"] == "histogram"
    assert metrics.types["http_requests_in_progress"] == "gauge"
    for name in (
        "http_requests_total",
        "http_request_duration_seconds_count",
        "http_request_duration_seconds_sum",
    ):
        for labels in metrics.label_sets(name):
            assert set(labels) == {"app_name", "method", "path", "status_code"}, name
            assert labels["app_name"] == service.name
    buckets = metrics.label_sets("http_request_duration_seconds_bucket")
    assert buckets
    for labels in buckets:
        assert set(labels) == {"app_name", "method", "path", "status_code", "le"}
    for labels in metrics.label_sets("http_requests_in_progress"):
        assert set(labels) == {"app_name", "method"}
        assert labels["app_name"] == service.name


def test_latency_buckets(client: httpx.Client) -> None:
    # The same bounds, written the same way: a query such as {le="1.0"} or a sum by (le)
    # over several services needs the same label values.
    client.get("/v1/symbols")
    buckets = scrape(client).label_sets("http_request_duration_seconds_bucket")
    series = {k: v for k, v in buckets[0].items() if k != "le"}
    bounds = [b["le"] for b in buckets if {k: v for k, v in b.items() if k != "le"} == series]
    assert sorted(bounds, key=float) == BUCKETS


def _counted(
    client: httpx.Client,
    service: Service,
    method: str,
    route: str,
    status: int,
    send: Callable[[], int],
) -> None:
    """Checks that the request ``send`` makes (returning its status) adds one to its
    series: the counter, the histogram's count and its +Inf bucket."""
    labels = {
        "app_name": service.name,
        "method": method,
        "path": route,
        "status_code": str(status),
    }
    before = scrape(client)
    assert send() == status
    after = scrape(client)
    for name in ("http_requests_total", "http_request_duration_seconds_count"):
        assert after.value(name, **labels) - before.value(name, **labels) == 1, name
    inf = {**labels, "le": "+Inf"}
    assert (
        after.value("http_request_duration_seconds_bucket", **inf)
        - before.value("http_request_duration_seconds_bucket", **inf)
        == 1
    )


@pytest.mark.parametrize(
    ("method", "path", "route", "status"),
    [
        ("GET", "/v1/symbols?limit=2", "/v1/symbols", 200),
        ("GET", "/v1/symbols?limit=0", "/v1/symbols", 422),
        ("DELETE", "/v1/symbols", "/v1/symbols", 405),
        pytest.param(
            "GET",
            "/v1/symbols/MSFT/stats",
            "/v1/symbols/{symbol}/stats",
            200,
            marks=pytest.mark.uses("GET /v1/symbols/{symbol}/stats"),
            id="stats",
        ),
        pytest.param(
            "GET",
            "/v1/symbols/NOPE/candles",
            "/v1/symbols/{symbol}/candles",
            404,
            marks=pytest.mark.uses("GET /v1/symbols/{symbol}/candles"),
            id="candles-unknown-symbol",
        ),
        pytest.param(
            "GET",
            "/v1/models",
            "/v1/models",
            200,
            marks=pytest.mark.uses("GET /v1/models"),
            id="models",
        ),
    ],
)
def test_requests_are_counted_by_route_template(
    client: httpx.Client, service: Service, method: str, path: str, route: str, status: int
) -> None:
    _counted(
        client, service, method, route, status, lambda: client.request(method, path).status_code
    )


@pytest.mark.uses("POST /v1/trades")
def test_malformed_json_is_counted_by_route_template(
    client: httpx.Client, service: Service
) -> None:
    _counted(
        client,
        service,
        "POST",
        "/v1/trades",
        400,
        lambda: (
            client.post(
                "/v1/trades", content=b"{", headers={"content-type": "application/json"}
            ).status_code
        ),
    )


@pytest.mark.uses("POST /v1/trades")
def test_a_refused_body_is_counted_by_route_template(
    client: httpx.Client,
    service: Service,
    client_address: str,
    authorization: dict[str, str],
) -> None:
    # docs/logging.md: refused before routing, yet counted under the route asked for.
    head = {
        "Content-Type": "application/json",
        "Content-Length": str(MAX_BODY_BYTES + 1),
        "X-Forwarded-For": client_address,
        **authorization,
    }
    _counted(
        client,
        service,
        "POST",
        "/v1/trades",
        413,
        lambda: raw_post(service.url, "/v1/trades", head, [], chunked=False).status,
    )


def test_unknown_and_platform_paths_are_not_counted(client: httpx.Client) -> None:
    unknown = f"/nowhere-{uuid.uuid4().hex}"
    client.get(unknown)
    client.get("/health/live")
    client.get("/health/ready")
    metrics = scrape(client)
    paths = {labels["path"] for labels in metrics.label_sets("http_requests_total")}
    assert unknown not in paths
    assert not paths & {"/health/live", "/health/ready", "/metrics", "unmatched"}


# Content types


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/health/live", None),
        ("GET", "/health/ready", None),
        ("GET", "/v1/symbols", None),
        pytest.param(
            "GET",
            "/v1/symbols/AAPL/stats",
            None,
            marks=pytest.mark.uses("GET /v1/symbols/{symbol}/stats"),
            id="stats",
        ),
        pytest.param(
            "GET",
            "/v1/symbols/AAPL/candles",
            None,
            marks=pytest.mark.uses("GET /v1/symbols/{symbol}/candles"),
            id="candles",
        ),
        pytest.param(
            "POST",
            "/v1/trades",
            trade,
            marks=pytest.mark.uses("POST /v1/trades"),
            id="trades",
        ),
        pytest.param(
            "POST",
            "/v1/trades/batch",
            lambda client_trade_id: {"trades": [trade(client_trade_id)]},
            marks=pytest.mark.uses("POST /v1/trades/batch"),
            id="trades-batch",
        ),
        pytest.param(
            "POST",
            "/v1/predictions",
            lambda _: {"returns": [0.001] * 20},
            marks=pytest.mark.uses("POST /v1/predictions"),
            id="predictions",
        ),
        pytest.param(
            "GET",
            "/v1/models",
            None,
            marks=pytest.mark.uses("GET /v1/models"),
            id="models",
        ),
    ],
)
def test_json_content_type(
    client: httpx.Client, trade_id: str, method: str, path: str, body: Any
) -> None:
    # RFC 8259 registers application/json without parameters; the reference sends it bare.
    answer = client.request(method, path, json=None if body is None else body(trade_id))
    assert answer.status_code < 300, answer.text
    assert answer.headers["content-type"] == "application/json"
