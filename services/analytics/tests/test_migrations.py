"""The schema's numbered SQL files: applied once, in order, by one migrator at a time."""

import asyncio

import asyncpg

from services.analytics.migrations import load_migrations, migrate


def test_files_are_numbered_in_order() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


async def test_migrate_is_idempotent(postgres_dsn: str) -> None:
    migrations = load_migrations()
    connection = await asyncpg.connect(postgres_dsn)
    try:
        assert await migrate(connection, migrations) == [m.name for m in migrations]
        assert await migrate(connection, migrations) == []
        recorded = await connection.fetch(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        )
        assert [(r["version"], r["name"]) for r in recorded] == [
            (m.version, m.name) for m in migrations
        ]
        assert await connection.fetchval("SELECT count(*) FROM symbols") == 6
    finally:
        await connection.close()


async def test_concurrent_migrators_do_not_race(postgres_dsn: str) -> None:
    # Without the advisory lock both would run CREATE TABLE symbols and one would fail
    # (or the seed would be recorded twice); with it, one applies and the others wait.
    migrations = load_migrations()
    connections = [await asyncpg.connect(postgres_dsn) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c, migrations) for c in connections))
        assert sorted(len(r) for r in results) == [0, 0, 0, len(migrations)]
        assert await connections[0].fetchval("SELECT count(*) FROM schema_migrations") == len(
            migrations
        )
        assert await connections[0].fetchval("SELECT count(*) FROM symbols") == 6
    finally:
        for connection in connections:
            await connection.close()


async def test_the_app_migrates_at_startup(client: object, postgres_dsn: str) -> None:
    connection = await asyncpg.connect(postgres_dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM schema_migrations") == len(
            load_migrations()
        )
    finally:
        await connection.close()
