"""The database components and the PostgreSQL fixtures, against a real server."""

import asyncpg
import pytest
from fastapi import APIRouter
from pydantic import SecretStr
from servicekit import (
    DatabaseSettings,
    PoolDep,
    PostgresPool,
    SessionDep,
    SqlAlchemyDatabase,
    create_app,
    public,
)
from servicekit.app import configuration_errors
from servicekit.db import DatabaseUnreachable, retry_until_up
from servicekit.postgres_server import start_postgres
from servicekit.testing import app_client
from sqlalchemy import text

from tools.fastapi_rules.runtime.tests.sample_app import Settings


def database(dsn: str, **overrides: object) -> DatabaseSettings:
    return DatabaseSettings(url=SecretStr(dsn), **overrides)


def db_app(settings: DatabaseSettings):
    router = APIRouter(dependencies=[public()])

    @router.get("/pool")
    async def via_pool(pool: PoolDep) -> dict[str, int]:
        return {"answer": await pool.fetchval("SELECT 41 + 1")}

    @router.get("/misuse")
    async def misuse(pool: PoolDep) -> dict[str, int]:
        async with pool.acquire() as connection:
            transaction = connection.transaction()
            await transaction.start()
            await transaction.start()  # a bug: asyncpg's InterfaceError, not an outage
        return {}

    @router.get("/session")
    async def via_session(session: SessionDep) -> dict[str, int]:
        return {"answer": (await session.execute(text("SELECT 6 * 7"))).scalar_one()}

    return create_app(
        Settings(database=settings),
        name="sample",
        title="Sample",
        version="1",
        routers=[router],
        components=[PostgresPool(settings), SqlAlchemyDatabase(settings)],
    )


async def test_pool_and_session_serve_requests_and_readiness(postgres_dsn):
    async with app_client(db_app(database(postgres_dsn))) as client:
        assert (await client.get("/pool")).json() == {"answer": 42}
        assert (await client.get("/session")).json() == {"answer": 42}
        report = (await client.get("/health/ready")).json()
    assert report["checks"]["postgres"]["status"] == "pass"
    assert report["checks"]["sqlalchemy"]["status"] == "pass"


async def test_statement_timeout_cancels_slow_queries(postgres_dsn):
    component = PostgresPool(database(postgres_dsn, statement_timeout_ms=100))
    await component.start()
    try:
        with pytest.raises(asyncpg.QueryCanceledError):
            await component.pool.execute("SELECT pg_sleep(2)")
    finally:
        await component.stop()


async def test_a_database_outage_is_a_problem_json_503_and_fails_readiness():
    server = start_postgres()  # its own: this one goes down
    try:
        dsn = server.create_database()
        async with app_client(db_app(database(dsn))) as client:
            assert (await client.get("/pool")).status_code == 200
            server.halt(crash=True)
            refused = await client.get("/pool")
            readiness = await client.get("/health/ready")
            liveness = await client.get("/health/live")
            server.resume()
            recovered = await client.get("/pool")
    finally:
        server.stop()
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    problem = refused.json()
    assert problem["type"] == "urn:fastapi-rules:problem:database-unavailable"
    assert problem["detail"] == "The service cannot reach its database; retry shortly."
    assert problem["instance"] == "/pool"
    assert dsn not in refused.text
    assert recovered.json() == {"answer": 42}
    assert readiness.status_code == 503
    assert readiness.json()["checks"]["postgres"]["status"] == "fail"
    assert liveness.status_code == 200


async def test_a_statement_timeout_is_a_503(postgres_dsn):
    settings = database(postgres_dsn, statement_timeout_ms=50)
    router = APIRouter(dependencies=[public()])

    @router.get("/slow")
    async def slow(pool: PoolDep) -> dict[str, int]:
        await pool.execute("SELECT pg_sleep(1)")
        return {}

    app = create_app(Settings(database=settings), name="sample", routers=[router],
                     components=[PostgresPool(settings)])  # fmt: skip
    async with app_client(app) as client:
        answer = await client.get("/slow")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"


async def test_misusing_asyncpg_stays_a_500(postgres_dsn):
    async with app_client(db_app(database(postgres_dsn))) as client:
        answer = await client.get("/misuse")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_pool_without_url_names_the_variable_to_set():
    settings = DatabaseSettings()
    components = [PostgresPool(settings), SqlAlchemyDatabase(settings, field="db")]
    app = create_app(Settings(database=settings), name="sample", components=components)
    assert configuration_errors(app) == [
        "SAMPLE_DATABASE__URL is not set: give the service its PostgreSQL, "
        "e.g. SAMPLE_DATABASE__URL=postgresql://user:password@host:5432/database",
        "SAMPLE_DB__URL is not set: give the service its PostgreSQL, "
        "e.g. SAMPLE_DB__URL=postgresql://user:password@host:5432/database",
    ]
    configured = database("postgresql://127.0.0.1/x")
    assert configuration_errors(create_app(Settings(), components=[PostgresPool(configured)])) == []


async def test_startup_retries_until_the_database_answers():
    attempts = []

    async def connect() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionRefusedError("not yet")
        return "connected"

    assert await retry_until_up(connect, within_s=10, what="test") == "connected"
    assert len(attempts) == 3


async def test_startup_gives_up_after_the_retry_window():
    component = PostgresPool(database("postgresql://nobody@127.0.0.1:1/none", startup_retry_s=0.5))
    with pytest.raises(DatabaseUnreachable) as raised:
        await component.start()
    assert str(raised.value).startswith(
        "PostgreSQL at 127.0.0.1:1 did not accept a connection within 0.5 s ("
    )
    assert raised.value.setting == ("database", "url")
    assert isinstance(raised.value.__cause__, OSError)


async def test_sessions_keep_objects_usable_after_commit(postgres_dsn):
    component = SqlAlchemyDatabase(database(postgres_dsn))
    await component.start()
    try:
        assert component.sessions is not None
        assert component.sessions.kw["expire_on_commit"] is False
    finally:
        await component.stop()


@pytest.mark.parametrize("run", [1, 2])
async def test_each_test_transaction_is_rolled_back(db_connection, run):
    await db_connection.execute("CREATE TABLE IF NOT EXISTS trades (id int)")
    assert await db_connection.fetchval("SELECT count(*) FROM trades") == 0
    await db_connection.execute("INSERT INTO trades VALUES ($1)", run)
    assert await db_connection.fetchval("SELECT count(*) FROM trades") == 1


@pytest.mark.parametrize("run", [1, 2])
async def test_session_commits_are_rolled_back_after_the_test(db_session, run):
    await db_session.execute(text("CREATE TABLE IF NOT EXISTS fills (id int)"))
    await db_session.commit()
    assert (await db_session.execute(text("SELECT count(*) FROM fills"))).scalar_one() == 0
    await db_session.execute(text("INSERT INTO fills VALUES (:id)"), {"id": run})
    await db_session.commit()
    assert (await db_session.execute(text("SELECT count(*) FROM fills"))).scalar_one() == 1
