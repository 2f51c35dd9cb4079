"""The service over HTTP, its lifespan running, as a client sees it."""

from collections.abc import AsyncIterator

import httpx
import pytest
from servicekit.testing import app_client

from services.template.main import app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as client:
        yield client


async def test_health(client):
    assert (await client.get("/health/live")).json() == {"status": "pass"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["service"] == "template"


async def test_notional_is_quantity_times_price(client):
    response = await client.post(
        "/v1/notional", json={"symbol": "AAPL", "quantity": "100", "price": "187.255"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "symbol": "AAPL",
        "quantity": "100",
        "price": "187.255",
        "notional": "18725.50",
        "currency": "USD",
    }


async def test_invalid_order_is_a_problem(client):
    response = await client.post(
        "/v1/notional", json={"symbol": "aapl", "quantity": "-1", "price": "1"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["location"][-1] for e in response.json()["errors"]}
    assert fields == {"symbol", "quantity"}


async def test_openapi_is_branded_from_the_build_file(client):
    info = (await client.get("/openapi.json")).json()["info"]
    assert info["title"] == "TradingSystem · Template"
    assert info["version"] == "1.0.0"
    assert info["description"].startswith("The starting point")


async def test_metrics_are_exposed(client):
    await client.get("/health/live")
    await client.post("/v1/notional", json={"symbol": "A", "quantity": "1", "price": "1"})
    metrics = (await client.get("/metrics")).text
    assert 'path="/v1/notional"' in metrics
