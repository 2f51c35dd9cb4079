from collections.abc import AsyncIterator

import httpx
import pytest
from servicekit import ServiceSettings
from servicekit.testing import TokenIssuer, app_client

from quotes.main import build_app


@pytest.fixture
async def client(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    issuer = TokenIssuer.create(tmp_path, audience="quotes")
    app = build_app(ServiceSettings(auth=issuer.auth))
    async with app_client(app, headers=issuer.headers("quotes:read")) as client:
        yield client


async def test_quotes_need_a_token(client):
    answer = await client.get("/v1/quotes/AAPL", headers={"Authorization": ""})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


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
