"""pytest plugin: a real, throwaway PostgreSQL server for the test session.

Enable it with ``-p servicekit.testing.postgres`` (fastapi_service's tests have it) and use
the fixtures:

- ``postgres``: the server (session scope): ``.dsn``, ``.port``, ``.create_database()``.
- ``postgres_dsn``: a fresh database for the test module's use.
- ``db_connection``: an asyncpg connection inside a transaction rolled back after the test.
- ``db_session``: a SQLAlchemy AsyncSession whose work, commits included, is rolled back.

The server is servicekit.postgres_server's: Debian's postgresql in a temporary directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from servicekit.postgres_server import PostgresServer, start_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture
def postgres_dsn(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture
async def db_connection(postgres: PostgresServer) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(postgres.dsn)
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture
async def db_session(postgres: PostgresServer) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(postgres.dsn.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.connect() as connection:
        transaction = await connection.begin()
        # Commits in the test become savepoints; the outer transaction is rolled back.
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()
    await engine.dispose()
