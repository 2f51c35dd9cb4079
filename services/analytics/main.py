"""The ASGI app: fastapi_service(app = "main:app") serves it.

Under `bazel run` with no ANALYTICS_DATABASE__URL, the service starts a throwaway
PostgreSQL of its own (Debian's server, as the tests' plugin does) and loads sample trades,
so one command shows real statistics and predictions; ANALYTICS_EMBEDDED_DATABASE=true asks
for the same elsewhere. Images have no PostgreSQL server: there the URL is required.

Every endpoint needs a bearer token or an API key (docs/security.md). Where the service
brings its own database it also trusts the development identity and prints a token with
analytics:read and analytics:write, and a curl line that records a trade with it.
"""

import asyncio
import atexit
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import SecretStr
from servicekit import PostgresPool, create_app, development_identity, get_logger
from servicekit.postgres_server import PostgresServer, start_postgres

from .api import READ_SCOPE, WRITE_SCOPE, router
from .inference.api import router as predictions
from .inference.component import InferenceComponent
from .migrations import load_migrations, migrate
from .sample import load_sample
from .settings import Settings

log = get_logger("analytics")

TAGS = [
    {"name": "trades", "description": "Trade capture, idempotent on the client trade ID."},
    {"name": "statistics", "description": "VWAP, volatility and candles, computed in SQL."},
    {"name": "symbols", "description": "The symbols trades may name."},
    {
        "name": "predictions",
        "description": "Next-window volatility from recent returns: an ONNX model trained at "
        "build time, served with micro-batching.",
    },
]


class EmbeddedPostgres:
    """The throwaway server of `bazel run` as a component, so that it stops with the service
    (SIGTERM included, where uvicorn ends the process before atexit handlers run), and after
    the pool: components stop in reverse order. It is started before the app is built,
    because the URL must be known before serve checks the configuration."""

    name = "embedded-postgres"

    def __init__(self, server: PostgresServer) -> None:
        self.server = server

    async def start(self) -> None:
        if self.server.process.poll() is not None:
            raise RuntimeError("the embedded PostgreSQL is not running")

    async def stop(self) -> None:
        await asyncio.to_thread(self.server.stop)

    async def check(self) -> None:
        await self.start()


def build_app(
    settings: Settings, sample_data: bool = False, embedded_server: PostgresServer | None = None
) -> FastAPI:
    """The app for these settings; tests build one per throwaway database. With
    ``sample_data``, an empty trades table gets the sample trades at startup;
    ``embedded_server`` is stopped when the app shuts down."""
    database = PostgresPool(settings.database)
    inference = InferenceComponent(
        window_s=settings.inference.window_s, max_batch=settings.inference.max_batch
    )
    migrations = load_migrations()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Runs after the pool started: the schema is current before the first request.
        async with database.pool.acquire() as connection:
            applied = await migrate(connection, migrations)
            loaded = await load_sample(connection) if sample_data else 0
        log.info("schema migrated", applied=applied, sample_trades=loaded)
        yield

    return create_app(
        settings,
        routers=[router, predictions],
        components=[
            *([EmbeddedPostgres(embedded_server)] if embedded_server else []),
            database,
            inference,
        ],
        lifespan=lifespan,
        tags=TAGS,
    )


def wants_embedded_database(settings: Settings, environ: Mapping[str, str]) -> bool:
    """Whether to start a throwaway database: never when a URL is given; otherwise when
    `bazel run` started the service (it sets BUILD_WORKSPACE_DIRECTORY; tests and images do
    not) or ANALYTICS_EMBEDDED_DATABASE asks for it (a test that serves as `bazel run` does)."""
    if settings.database.url is not None:
        return False
    return settings.embedded_database or "BUILD_WORKSPACE_DIRECTORY" in environ


def embedded(settings: Settings) -> PostgresServer | None:
    """Gives the settings a throwaway database when wants_embedded_database() says so."""
    if not wants_embedded_database(settings, os.environ):
        return None
    server = start_postgres()
    # Also when the app is never served (an import that fails later, a Ctrl-C before start).
    atexit.register(server.stop)
    settings.database.url = SecretStr(server.create_database())
    log.info("embedded PostgreSQL started: no ANALYTICS_DATABASE__URL", port=server.port)
    return server


# Printed beside the development token under `bazel run`: a trade recorded with it.
EXAMPLE = (
    "curl -s -X POST {url}/v1/trades -H 'Authorization: Bearer {token}' "
    '-H \'content-type: application/json\' -d \'{"client_trade_id": "try-1", '
    '"symbol": "AAPL", "size": "100", "price": "187.25", '
    '"executed_at": "2026-01-05T14:30:00Z"}\''
)

settings = Settings()
# Where the service brings its own database it also trusts the development identity, and
# prints a token to call it with (docs/security.md); elsewhere it needs a JWKS.
development_identity(
    settings,
    scopes=[READ_SCOPE, WRITE_SCOPE],
    examples=[EXAMPLE],
    wanted=wants_embedded_database(settings, os.environ),
)
server = embedded(settings)
app = build_app(settings, sample_data=server is not None, embedded_server=server)
