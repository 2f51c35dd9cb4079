"""The ASGI app: fastapi_service(app = "main:app") serves it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from servicekit import PostgresPool, create_app, get_logger

from .api import router
from .inference.api import router as predictions
from .inference.component import InferenceComponent
from .migrations import load_migrations, migrate
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


def build_app(settings: Settings) -> FastAPI:
    """The app for these settings; tests build one per throwaway database."""
    database = PostgresPool(settings.database)
    inference = InferenceComponent()
    migrations = load_migrations()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Runs after the pool started: the schema is current before the first request.
        async with database.pool.acquire() as connection:
            applied = await migrate(connection, migrations)
        log.info("schema migrated", applied=applied)
        yield

    return create_app(
        settings,
        routers=[router, predictions],
        components=[database, inference],
        lifespan=lifespan,
        tags=TAGS,
    )


app = build_app(Settings())
