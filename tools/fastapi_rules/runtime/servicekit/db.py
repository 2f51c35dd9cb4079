"""PostgreSQL for services: an asyncpg pool and a SQLAlchemy 2 async engine.

Both are components for ``create_app(components=[...])``: created in the lifespan with
retries while the database comes up, closed at shutdown, checked by readiness, and with a
server-side statement timeout so one slow query cannot hold a connection forever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from servicekit.logs import get_logger
from servicekit.settings import DatabaseSettings

log = get_logger("servicekit.db")


class DatabaseNotConfigured(RuntimeError):
    pass


def _dsn(settings: DatabaseSettings) -> str:
    if settings.url is None:
        raise DatabaseNotConfigured(
            "no database URL: set <PREFIX>DATABASE__URL=postgresql://user@host:5432/db"
        )
    return settings.url.get_secret_value()


async def retry_until_up[T](connect: Callable[[], Awaitable[T]], within_s: float, what: str) -> T:
    """Calls ``connect`` until it succeeds or ``within_s`` seconds have passed."""
    deadline = time.monotonic() + within_s
    delay = 0.2
    while True:
        try:
            return await connect()
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as error:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("database not up yet, retrying", target=what, error=str(error))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


class PostgresPool:
    """An asyncpg connection pool; in handlers, ``pool: PoolDep``."""

    name = "postgres"

    def __init__(self, settings: DatabaseSettings) -> None:
        self.settings = settings
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL pool is not started (is it in components?)")
        return self._pool

    async def start(self) -> None:
        settings = self.settings
        self._pool = await retry_until_up(
            lambda: asyncpg.create_pool(
                _dsn(settings),
                min_size=settings.min_pool_size,
                max_size=settings.max_pool_size,
                timeout=settings.connect_timeout_s,
                server_settings={"statement_timeout": str(settings.statement_timeout_ms)},
            ),
            settings.startup_retry_s,
            "asyncpg pool",
        )

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def check(self) -> None:
        await self.pool.fetchval("SELECT 1")


class SqlAlchemyDatabase:
    """A SQLAlchemy async engine and session factory; in handlers, ``session: SessionDep``."""

    name = "sqlalchemy"

    def __init__(self, settings: DatabaseSettings) -> None:
        self.settings = settings
        self._engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the SQLAlchemy engine is not started (is it in components?)")
        return self._engine

    async def start(self) -> None:
        settings = self.settings
        url = _dsn(settings).replace("postgresql://", "postgresql+asyncpg://", 1)
        engine = create_async_engine(
            url,
            pool_size=settings.max_pool_size,
            pool_pre_ping=True,
            connect_args={
                "timeout": settings.connect_timeout_s,
                "server_settings": {"statement_timeout": str(settings.statement_timeout_ms)},
            },
        )

        async def connect() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        try:
            await retry_until_up(connect, settings.startup_retry_s, "sqlalchemy engine")
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine
        # Objects stay usable after commit: handlers return them after the transaction.
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def stop(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def check(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


def _component[C](request: Request, kind: type[C]) -> C:
    for component in request.app.state.components:
        if isinstance(component, kind):
            return component
    raise RuntimeError(f"{kind.__name__} is not among this app's components")


async def _pool(request: Request) -> asyncpg.Pool:
    return _component(request, PostgresPool).pool


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    database = _component(request, SqlAlchemyDatabase)
    assert database.sessions is not None
    async with database.sessions() as session:
        yield session


PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]
SessionDep = Annotated[AsyncSession, Depends(_session)]
