"""An analytics app on a throwaway database, per test, over real HTTP (in process), and
the credentials its tests call it with."""

from collections.abc import AsyncIterator

import httpx
import pytest
from servicekit import DatabaseSettings, RateLimitSettings
from servicekit.testing import TokenIssuer, app_client

from services.analytics.api import READ_SCOPE, WRITE_SCOPE
from services.analytics.main import build_app
from services.analytics.settings import Settings


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    """The tests' identity provider: apps built here trust its tokens."""
    return TokenIssuer.create(tmp_path_factory.mktemp("identity"), audience="analytics")


def settings_for(postgres_dsn: str, issuer: TokenIssuer) -> Settings:
    return Settings(
        database=DatabaseSettings(url=postgres_dsn),
        # Tests send bursts a rate limit would rightly refuse.
        rate_limit=RateLimitSettings(enabled=False),
        auth=issuer.auth,
    )


@pytest.fixture
async def client(postgres_dsn: str, issuer: TokenIssuer) -> AsyncIterator[httpx.AsyncClient]:
    """A caller whose token may read and record."""
    app = build_app(settings_for(postgres_dsn, issuer))
    async with app_client(app, headers=issuer.headers(READ_SCOPE, WRITE_SCOPE)) as client:
        yield client


@pytest.fixture
async def anonymous(postgres_dsn: str, issuer: TokenIssuer) -> AsyncIterator[httpx.AsyncClient]:
    """The same service, called without credentials unless a test gives some."""
    async with app_client(build_app(settings_for(postgres_dsn, issuer))) as client:
        yield client
