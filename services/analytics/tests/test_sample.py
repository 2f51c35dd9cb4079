"""The sample `bazel run` loads into its embedded database."""

import httpx
from servicekit import DatabaseSettings, RateLimitSettings
from servicekit.testing import app_client

from services.analytics.main import build_app
from services.analytics.sample import TRADES_PER_SYMBOL
from services.analytics.settings import Settings


async def test_an_empty_database_gets_the_sample_once(postgres_dsn: str):
    settings = Settings(
        database=DatabaseSettings(url=postgres_dsn),
        rate_limit=RateLimitSettings(enabled=False),
    )
    for _ in range(2):  # the second start finds trades and adds none
        async with app_client(build_app(settings, sample_data=True)) as client:
            client: httpx.AsyncClient
            stats = (await client.get("/v1/symbols/AAPL/stats")).json()
            assert stats["trade_count"] == TRADES_PER_SYMBOL
            assert stats["realised_volatility"] > 0
