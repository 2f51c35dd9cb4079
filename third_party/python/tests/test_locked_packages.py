"""The locked wheels are importable from @pypi and are the versions the lock pins."""

import importlib.metadata
import os
from pathlib import Path

import asyncpg
import fastapi
import httpx
import pydantic
import pytest
import sqlalchemy
from pylock import load, normalize
from sqlalchemy.dialects import postgresql

LOCK = load(Path(os.environ["PYLOCK"]))


@pytest.mark.parametrize("module", [asyncpg, fastapi, pydantic, sqlalchemy])
def test_imported_from_the_locked_wheel_not_the_system(module):
    assert "/usr/lib/python3" not in module.__file__
    assert "pypi_" in module.__file__


def test_every_distribution_from_pypi_is_the_locked_version():
    locked = {p.name: p.version for p in LOCK.packages}
    found = {
        normalize(d.metadata["Name"]): d.version
        for d in importlib.metadata.distributions()
        if "pypi_" in str(d.locate_file(""))
    }
    # This test depends on these four, so at least they and their dependencies are here.
    assert {"asyncpg", "fastapi", "pydantic", "sqlalchemy", "starlette"} <= found.keys()
    assert {name: locked.get(name) for name in found} == found


class Order(pydantic.BaseModel):
    symbol: str
    quantity: int = pydantic.Field(gt=0)


async def test_fastapi_app_validates_over_http():
    app = fastapi.FastAPI()

    @app.post("/orders")
    async def create(order: Order) -> Order:
        return order

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        accepted = await client.post("/orders", json={"symbol": "EURUSD", "quantity": 5})
        refused = await client.post("/orders", json={"symbol": "EURUSD", "quantity": 0})
    assert accepted.json() == {"symbol": "EURUSD", "quantity": 5}
    assert refused.status_code == 422


def test_sqlalchemy_compiles_for_asyncpg():
    trades = sqlalchemy.table("trades", sqlalchemy.column("symbol"))
    query = sqlalchemy.select(trades).where(trades.c.symbol == "EURUSD")
    dialect = postgresql.asyncpg.dialect()
    assert str(query.compile(dialect=dialect)) == (
        "SELECT trades.symbol \nFROM trades \nWHERE trades.symbol = $1::VARCHAR"
    )
    assert asyncpg.Record is not None
