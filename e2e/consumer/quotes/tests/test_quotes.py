from collections.abc import AsyncIterator

import httpx
import pytest
from servicekit.testing import app_client

from quotes.main import app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as client:
        yield client


async def test_quote(client):
    answer = await client.get("/v1/quotes/AAPL")
    assert answer.status_code == 200
    assert answer.json() == {"symbol": "AAPL", "price": "187.25"}


async def test_unknown_symbol_is_a_problem(client):
    answer = await client.get("/v1/quotes/NOPE")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "no quote for NOPE"


async def test_the_openapi_document_carries_the_brand(client):
    info = (await client.get("/openapi.json")).json()["info"]
    assert info["title"] == "TradingSystem · Quotes"
