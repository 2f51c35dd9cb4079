"""Who may call what: reads need analytics:read, recording trades analytics:write."""

import httpx
import pytest
from servicekit.testing import TokenIssuer

from services.analytics.api import READ_SCOPE, WRITE_SCOPE
from services.analytics.main import app

PROBLEM = "application/problem+json"
TRADE = {
    "client_trade_id": "access-1",
    "symbol": "AAPL",
    "size": "10",
    "price": "187.25",
    "executed_at": "2026-01-05T14:30:00Z",
}


async def test_recording_a_trade_without_credentials_is_a_401_problem(anonymous: httpx.AsyncClient):
    answer = await anonymous.post("/v1/trades", json=TRADE)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"] == (
        f'Bearer realm="analytics", scope="{WRITE_SCOPE}"'
    )
    assert answer.json()["type"] == "urn:fastapi-rules:problem:unauthenticated"


async def test_a_reader_may_read_but_not_record(anonymous: httpx.AsyncClient, issuer: TokenIssuer):
    reader = issuer.headers(READ_SCOPE)
    assert (await anonymous.get("/v1/symbols", headers=reader)).status_code == 200
    refused = await anonymous.post("/v1/trades", json=TRADE, headers=reader)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert WRITE_SCOPE in refused.json()["detail"]
    writer = issuer.headers(WRITE_SCOPE)
    assert (await anonymous.post("/v1/trades", json=TRADE, headers=writer)).status_code == 201
    assert (await anonymous.get("/v1/symbols", headers=writer)).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/symbols"),
        ("get", "/v1/symbols/AAPL/stats"),
        ("get", "/v1/symbols/AAPL/candles"),
        ("post", "/v1/predictions"),
        ("post", "/v1/predictions/batch"),
        ("get", "/v1/models"),
        ("post", "/v1/trades"),
        ("post", "/v1/trades/batch"),
    ],
)
async def test_every_endpoint_refuses_an_anonymous_caller(
    anonymous: httpx.AsyncClient, method, path
):
    answer = await anonymous.request(method.upper(), path, json={})
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM


def test_the_openapi_document_declares_each_operations_scope():
    paths = app.openapi()["paths"]
    scopes = {
        f"{method.upper()} {path}": operation["security"]
        for path, operations in paths.items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
    }
    write = [{"bearer": [WRITE_SCOPE]}, {"apiKey": [WRITE_SCOPE]}]
    read = [{"bearer": [READ_SCOPE]}, {"apiKey": [READ_SCOPE]}]
    assert scopes == {
        "POST /v1/trades": write,
        "POST /v1/trades/batch": write,
        "GET /v1/symbols/{symbol}/stats": read,
        "GET /v1/symbols/{symbol}/candles": read,
        "GET /v1/symbols": read,
        "POST /v1/predictions": read,
        "POST /v1/predictions/batch": read,
        "GET /v1/models": read,
    }
