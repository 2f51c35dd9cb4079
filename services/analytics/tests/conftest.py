"""An analytics app on a throwaway database, per test, over real HTTP (in process)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from servicekit import DatabaseSettings, RateLimitSettings
from servicekit.testing import app_client

from services.analytics.main import build_app
from services.analytics.settings import Settings


@pytest.fixture
async def client(postgres_dsn: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database=DatabaseSettings(url=postgres_dsn),
        # Tests send bursts a rate limit would rightly refuse.
        rate_limit=RateLimitSettings(enabled=False),
    )
    async with app_client(build_app(settings)) as client:
        yield client
