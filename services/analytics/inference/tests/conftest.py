import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from servicekit import ApiKeySettings, AuthSettings, ServiceSettings, create_app
from servicekit.testing.client import app_client

from services.analytics.inference.api import router
from services.analytics.inference.component import InferenceComponent

# The tests call as a service allowed to read (the router needs analytics:read).
CALLER_KEY = "inference-tests-key-0123456789abcdef"
CALLER = {"X-API-Key": CALLER_KEY}
AUTH = AuthSettings(
    api_keys=[
        ApiKeySettings(
            client="tests",
            sha256=hashlib.sha256(CALLER_KEY.encode()).hexdigest(),
            scopes=["analytics:read"],
        )
    ]
)


def make_app(component: InferenceComponent) -> FastAPI:
    # Rate limits off: a burst of 64 requests from one client is the point of some tests.
    settings = ServiceSettings(
        environment="test", log_json=False, rate_limit={"enabled": False}, auth=AUTH
    )
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
    async with app_client(make_app(component), headers=CALLER) as http:
        yield http, component
