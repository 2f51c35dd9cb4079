"""Rate limits (RateLimit-* headers, the 429 problem with Retry-After) and CORS, as the
services' settings configure them (contract_support.SETTINGS)."""

from __future__ import annotations

import pytest
from contract_support import (
    ALLOWED_ORIGIN,
    PROBLEM_TYPE,
    RATE_LIMIT,
    RATE_PERIOD_S,
    Service,
    assert_problem,
    scrape,
)
from httpx import Client, Response

# Rate limits


def _limit_headers(answer: Response) -> tuple[int, int, int]:
    headers = answer.headers
    return (
        int(headers["ratelimit-limit"]),
        int(headers["ratelimit-remaining"]),
        int(headers["ratelimit-reset"]),
    )


def _exhaust(client: Client, path: str) -> Response:
    """Spends the client's budget on the route of ``path``; returns the first refusal."""
    for _ in range(RATE_LIMIT):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
    return client.get(path)


@pytest.mark.uses("rate limits")
def test_answers_carry_the_rate_limit(client: Client) -> None:
    first = _limit_headers(client.get("/v1/symbols"))
    second = _limit_headers(client.get("/v1/symbols"))
    assert first[:2] == (RATE_LIMIT, RATE_LIMIT - 1)
    assert second[:2] == (RATE_LIMIT, RATE_LIMIT - 2)
    for _, _, reset in (first, second):
        assert 0 <= reset <= RATE_PERIOD_S


@pytest.mark.uses("rate limits")
def test_problems_carry_the_rate_limit_too(client: Client) -> None:
    answer = client.get("/v1/symbols", params={"limit": 0})
    assert answer.status_code == 422
    assert _limit_headers(answer)[:2] == (RATE_LIMIT, RATE_LIMIT - 1)


@pytest.mark.uses("rate limits")
def test_over_the_limit_is_a_429_problem_with_retry_after(client: Client) -> None:
    refused = _exhaust(client, "/v1/symbols")
    assert_problem(refused, 429, PROBLEM_TYPE + "rate-limited")
    limit, remaining, reset = _limit_headers(refused)
    assert (limit, remaining) == (RATE_LIMIT, 0)
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= RATE_PERIOD_S
    assert 0 <= reset <= RATE_PERIOD_S


@pytest.mark.uses("rate limits")
def test_limits_are_per_route(client: Client) -> None:
    assert _exhaust(client, "/v1/symbols").status_code == 429
    # The same caller on another route: not limited. (Per caller: test_auth.py.)
    assert client.get("/health/live").status_code == 200
    assert client.get("/nowhere").status_code == 404


@pytest.mark.uses("rate limits", "GET /v1/symbols/{symbol}/stats")
def test_limits_are_per_route_template_not_per_path(client: Client) -> None:
    symbols = ["AAPL", "MSFT", "GOOGL", "AMZN", "BRK.B", "SPY"]
    for n in range(RATE_LIMIT):
        answer = client.get(f"/v1/symbols/{symbols[n % len(symbols)]}/stats")
        assert answer.status_code == 200, answer.text
    assert client.get("/v1/symbols/NOPE/stats").status_code == 429


@pytest.mark.uses("rate limits")
def test_a_refusal_is_counted_by_route_template(client: Client, service: Service) -> None:
    labels = {
        "app_name": service.name,
        "method": "GET",
        "path": "/v1/symbols",
        "status_code": "429",
    }
    before = scrape(client).value("http_requests_total", **labels)
    assert _exhaust(client, "/v1/symbols").status_code == 429
    assert scrape(client).value("http_requests_total", **labels) - before == 1


# CORS

PREFLIGHT = {
    "Origin": ALLOWED_ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-request-id",
}


# A preflight never carries credentials (Fetch), so the preflight cases send none.


@pytest.mark.uses("CORS")
@pytest.mark.parametrize("path", ["/v1/trades", "/v1/symbols"])
def test_a_preflight_from_an_allowed_origin_is_granted(anonymous: Client, path: str) -> None:
    answer = anonymous.options(path, headers=PREFLIGHT)
    # Fetch: any 2xx is an ok status for a preflight (analytics answers 200).
    assert 200 <= answer.status_code < 300, answer.text
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    methods = {m.strip().upper() for m in answer.headers["access-control-allow-methods"].split(",")}
    assert "POST" in methods or "*" in methods
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-request-id"} <= allowed or "*" in allowed
    assert "origin" in answer.headers.get("vary", "").lower()


def test_a_refused_preflight_is_no_cors_grant(anonymous: Client) -> None:
    answer = anonymous.options(
        "/v1/trades", headers={**PREFLIGHT, "Origin": "https://elsewhere.example"}
    )
    assert "access-control-allow-origin" not in answer.headers
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json", answer.text


@pytest.mark.uses("CORS")
def test_a_refused_preflight_is_a_403_problem(anonymous: Client) -> None:
    # docs/logging.md, Errors: a preflight from an origin that is not allowed.
    answer = anonymous.options(
        "/v1/trades", headers={**PREFLIGHT, "Origin": "https://elsewhere.example"}
    )
    body = assert_problem(
        answer, 403, PROBLEM_TYPE + "cors-preflight-refused", title="CORS preflight refused"
    )
    assert "origin" in body["detail"], body
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.uses("CORS")
def test_an_allowed_origin_may_read_the_answer(client: Client) -> None:
    answer = client.get("/v1/symbols", headers={"Origin": ALLOWED_ORIGIN})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    exposed = {
        h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")
    }
    assert {"x-request-id", "ratelimit-limit", "ratelimit-remaining"} <= exposed
    assert "origin" in answer.headers.get("vary", "").lower()


@pytest.mark.uses("CORS")
def test_problems_carry_cors_headers(client: Client) -> None:
    answer = client.get("/nowhere", headers={"Origin": ALLOWED_ORIGIN})
    assert_problem(answer, 404)
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_another_origin_may_not_read_the_answer(client: Client) -> None:
    answer = client.get("/v1/symbols", headers={"Origin": "https://elsewhere.example"})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
