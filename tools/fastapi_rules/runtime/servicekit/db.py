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
from urllib.parse import urlsplit

import asyncpg
from fastapi import Depends, FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.responses import JSONResponse

from servicekit.errors import PROBLEM_TYPE, problem_response, unhandled_error
from servicekit.logs import get_logger
from servicekit.settings import (
    ConfigurationError,
    DatabaseSettings,
    ServiceSettings,
    StartupError,
)

log = get_logger("servicekit.db")

# What asyncpg raises when the server is down, restarting, unreachable or gone mid-query:
# a request meeting one of these gets a problem+json 503 (servicekit.errors), not a 500.
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset: nothing listens on the port
    asyncpg.PostgresConnectionError,  # the connection broke, or could not be made
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, cancelled
)


# Long enough for a restart or a fail-over to finish, short enough not to idle clients.
RETRY_AFTER_SECONDS = 1


def _lost_connection(error: asyncpg.InterfaceError) -> bool:
    # asyncpg raises InterfaceError both for a connection that closed under a transaction
    # and for misuse; only its message tells them apart. Misuse stays a 500.
    return "connection is closed" in str(error) or "connection was closed" in str(error)


async def _interface_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, asyncpg.InterfaceError)
    if _lost_connection(exc):
        return await _database_unavailable(request, exc)
    return await unhandled_error(request, exc)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # A warning without the traceback: during an outage every request meets it.
    log.warning("database unavailable", path=request.url.path, error=f"{type(exc).__name__}: {exc}")
    return problem_response(
        503,
        title="Database unavailable",
        detail="The service cannot reach its database; retry shortly.",
        problem_type=PROBLEM_TYPE + "database-unavailable",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_database_errors(app: FastAPI) -> None:
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(asyncpg.InterfaceError, _interface_error)


class DatabaseNotConfigured(ConfigurationError):
    pass


def _dsn(settings: DatabaseSettings) -> str:
    if settings.url is None:
        raise DatabaseNotConfigured(
            "no database URL: set <PREFIX>DATABASE__URL=postgresql://user@host:5432/db"
        )
    return settings.url.get_secret_value()


def _url_missing(database: DatabaseSettings, settings: ServiceSettings, field: str) -> list[str]:
    if database.url is not None:
        return []
    variable = settings.env_name(field, "url")
    return [f"{variable} is not set: give the service its PostgreSQL, "
            f"e.g. {variable}=postgresql://user:password@host:5432/database"]  # fmt: skip


class DatabaseUnreachable(StartupError):
    """No connection to PostgreSQL within the start-up retry time."""


def _server(settings: DatabaseSettings) -> str:
    """Where the URL points, without its credentials: ``host:port``."""
    try:
        parts = urlsplit(_dsn(settings))
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    except ValueError:
        return "the database URL's server"


async def retry_until_up[T](
    connect: Callable[[], Awaitable[T]],
    within_s: float,
    what: str,
    settings: DatabaseSettings | None = None,
    field: str = "database",
) -> T:
    """Calls ``connect`` until it succeeds or ``within_s`` seconds have passed; then, with
    ``settings``, fails with a DatabaseUnreachable naming the server and the last error."""
    deadline = time.monotonic() + within_s
    delay = 0.2
    while True:
        try:
            return await connect()
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as error:
            if time.monotonic() + delay > deadline:
                if settings is None:
                    raise
                raise DatabaseUnreachable(
                    f"PostgreSQL at {_server(settings)} did not accept a connection within "
                    f"{within_s:g} s ({type(error).__name__}: {error})",
                    setting=(field, "url"),
                ) from error
            log.warning("database not up yet, retrying", target=what, error=str(error))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


class PostgresPool:
    """An asyncpg connection pool; in handlers, ``pool: PoolDep``."""

    name = "postgres"

    def __init__(self, settings: DatabaseSettings, *, field: str = "database") -> None:
        """``settings`` are the service settings' ``field`` (by default ``database``)."""
        self.settings = settings
        self.field = field
        self._pool: asyncpg.Pool | None = None

    def configuration_errors(self, service: ServiceSettings) -> list[str]:
        return _url_missing(self.settings, service, self.field)

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
            settings,
            self.field,
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

    def __init__(self, settings: DatabaseSettings, *, field: str = "database") -> None:
        """``settings`` are the service settings' ``field`` (by default ``database``)."""
        self.settings = settings
        self.field = field
        self._engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None

    def configuration_errors(self, service: ServiceSettings) -> list[str]:
        return _url_missing(self.settings, service, self.field)

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
            await retry_until_up(
                connect, settings.startup_retry_s, "sqlalchemy engine", settings, self.field
            )
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
