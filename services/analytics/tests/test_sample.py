"""The sample `bazel run` loads into its embedded database."""

from datetime import UTC, datetime, timedelta

import httpx
from servicekit import DatabaseSettings, RateLimitSettings
from servicekit.testing import TokenIssuer, app_client

from services.analytics.api import READ_SCOPE
from services.analytics.main import build_app
from services.analytics.sample import STARTING_PRICES, TRADES_PER_SYMBOL, sample_trades
from services.analytics.settings import Settings


async def test_an_empty_database_gets_the_sample_once(postgres_dsn: str, issuer: TokenIssuer):
    settings = Settings(
        database=DatabaseSettings(url=postgres_dsn),
        rate_limit=RateLimitSettings(enabled=False),
        auth=issuer.auth,
    )
    for _ in range(2):  # the second start finds trades and adds none
        app = build_app(settings, sample_data=True)
        async with app_client(app, headers=issuer.headers(READ_SCOPE)) as client:
            client: httpx.AsyncClient
            stats = (await client.get("/v1/symbols/AAPL/stats")).json()
            assert stats["trade_count"] == TRADES_PER_SYMBOL
            assert stats["realised_volatility"] > 0


def test_the_sample_spans_about_two_hours_and_ends_now() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    trades = sample_trades(now)
    for symbol in STARTING_PRICES:
        times = [executed_at for _, name, _, _, executed_at in trades if name == symbol]
        assert times == sorted(times)
        assert times[-1] == now
        assert timedelta(minutes=90) < now - times[0] < timedelta(minutes=150)
    assert sample_trades(now) == trades  # seeded: the same sample every time
