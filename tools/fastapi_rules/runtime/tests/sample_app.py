"""A service built with create_app, exercised by the runtime's tests."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict
from servicekit import (
    HealthCheck,
    Page,
    PostgresPool,
    Principal,
    PrincipalDep,
    ServiceSettings,
    create_app,
    public,
    requires,
)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SAMPLE_", env_nested_delimiter="__")


class Order(BaseModel):
    symbol: str = Field(min_length=1, max_length=12)
    quantity: int = Field(gt=0)


# Open to anyone: the tests of logs, limits and errors need no credentials.
router = APIRouter(tags=["orders"], dependencies=[public()])


@router.post("/orders", status_code=201)
async def create_order(order: Order) -> Order:
    return order


@router.get("/orders/{order_id}")
async def get_order(order_id: int) -> Order:
    if order_id == 404:
        raise HTTPException(404, detail=f"order {order_id} does not exist")
    return Order(symbol="EURUSD", quantity=order_id)


@router.get("/accounts/{account_id:int}")
async def get_account(account_id: int) -> dict[str, int]:
    return {"id": account_id}


@router.get("/orders")
async def list_orders() -> Page[Order]:
    return Page(items=[Order(symbol="EURUSD", quantity=1)], next_cursor=None)


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail")


@router.get("/worker")
async def worker() -> dict[str, int]:
    return {"pid": os.getpid()}


@router.get("/slow")
async def slow(seconds: float = 1.0) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


# The access policies of servicekit.auth: scopes per route, the caller as a parameter.
secured = APIRouter(prefix="/secure", tags=["secure"])


@secured.get("/orders", dependencies=[requires("sample:read")])
async def read_orders(caller: PrincipalDep) -> dict[str, object]:
    return {"subject": caller.subject, "client": caller.client, "scheme": caller.scheme}


@secured.post("/orders", status_code=201)
async def write_order(
    order: Order, caller: Annotated[Principal, requires("sample:read", "sample:write")]
) -> Order:
    return order


@secured.get("/whoami")
async def whoami(caller: PrincipalDep) -> dict[str, object]:
    return {"subject": caller.subject, "scopes": sorted(caller.scopes)}


def build(settings: Settings | None = None, checks: tuple[HealthCheck, ...] = ()):
    return create_app(
        settings or Settings(),
        name="sample",
        title="Sample",
        version="1.2.3",
        description="A sample service.",
        routers=[router, secured],
        health_checks=checks,
        contact={"name": "Platform team", "email": "platform@example.com"},
        rate_limits={"/slow": "1000/second"},
    )


def build_with_database() -> FastAPI:
    """The sample with a PostgreSQL pool, configured by SAMPLE_DATABASE__URL."""
    settings = Settings()
    return create_app(settings, name="sample", components=[PostgresPool(settings.database)])
