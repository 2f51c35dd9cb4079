from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from servicekit import ServiceSettings, create_app
from servicekit.testing.client import app_client

from services.analytics.inference.api import router
from services.analytics.inference.component import InferenceComponent


def make_app(component: InferenceComponent) -> FastAPI:
    # Rate limits off: a burst of 64 requests from one client is the point of some tests.
    settings = ServiceSettings(environment="test", log_json=False, rate_limit={"enabled": False})
    return create_app(
        settings, name="inference-test", version="0.0.0", routers=[router], components=[component]
    )


@pytest.fixture
async def component() -> AsyncIterator[InferenceComponent]:
    component = InferenceComponent()
    await component.start()
    yield component
    await component.stop()


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, InferenceComponent]]:
    component = InferenceComponent()
    async with app_client(make_app(component)) as http:
        yield http, component
