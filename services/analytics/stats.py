"""The SQL of the read side: statistics, candles and the symbol listing.

Everything is computed by PostgreSQL over the (symbol, executed_at, id) index; trades at
the same instant are ordered by their ID, i.e. by arrival.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

# Volatility is annualised to a 365-day year of continuous trading (markets of this
# pilot trade around the clock); the endpoint's description states the formula.
SECONDS_PER_YEAR = 365 * 24 * 3600

# A trade is in a window when start <= executed_at < end; a missing bound is open.
_WINDOW = """symbol = $1
    AND ($2::timestamptz IS NULL OR executed_at >= $2)
    AND ($3::timestamptz IS NULL OR executed_at < $3)"""

STATS_SQL = f"""
WITH window_trades AS (
    SELECT price, size, executed_at,
           ln(price / lag(price) OVER (ORDER BY executed_at, id)) AS log_return
    FROM trades
    WHERE {_WINDOW}
), totals AS (
    SELECT count(*) AS trade_count,
           sum(size) AS volume,
           round(sum(price * size) / nullif(sum(size), 0), 8) AS vwap,
           max(price) AS high,
           min(price) AS low,
           stddev_samp(log_return) AS return_stddev,
           count(log_return) AS return_count,
           extract(epoch FROM max(executed_at) - min(executed_at)) AS elapsed_s
    FROM window_trades
)
SELECT trade_count, volume, vwap, high, low,
       CASE WHEN return_count >= 2 AND elapsed_s > 0
            THEN (return_stddev * sqrt(return_count * $4::numeric / elapsed_s))::float8
       END AS realised_volatility
FROM totals
"""

CANDLES_SQL = f"""
SELECT date_bin($4::interval, executed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
       (array_agg(price ORDER BY executed_at, id))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY executed_at DESC, id DESC))[1] AS close,
       sum(size) AS volume,
       count(*) AS trade_count
FROM trades
WHERE {_WINDOW}
GROUP BY bucket_start
ORDER BY bucket_start
LIMIT $5 OFFSET $6
"""

SYMBOLS_SQL = """
SELECT s.symbol, s.description, last.price AS last_price, last.executed_at AS last_trade_at,
       count(*) OVER () AS total
FROM symbols AS s
LEFT JOIN LATERAL (
    SELECT price, executed_at FROM trades AS t
    WHERE t.symbol = s.symbol
    ORDER BY executed_at DESC, id DESC
    LIMIT 1
) AS last ON true
ORDER BY s.symbol
LIMIT $1 OFFSET $2
"""


async def symbol_exists(pool: asyncpg.Pool, symbol: str) -> bool:
    return bool(
        await pool.fetchval("SELECT EXISTS (SELECT 1 FROM symbols WHERE symbol = $1)", symbol)
    )


async def stats(
    pool: asyncpg.Pool,
    symbol: str,
    start: datetime | None,
    end: datetime | None,
) -> asyncpg.Record:
    row = await pool.fetchrow(STATS_SQL, symbol, start, end, SECONDS_PER_YEAR)
    assert row is not None  # an aggregate without GROUP BY always has one row
    return row


async def candles(
    pool: asyncpg.Pool,
    symbol: str,
    start: datetime | None,
    end: datetime | None,
    interval: timedelta,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    return await pool.fetch(CANDLES_SQL, symbol, start, end, interval, limit, offset)


async def count_candles(
    pool: asyncpg.Pool,
    symbol: str,
    start: datetime | None,
    end: datetime | None,
    interval: timedelta,
) -> int:
    sql = f"""SELECT count(DISTINCT date_bin($4::interval, executed_at,
                  TIMESTAMPTZ '2000-01-01 00:00:00+00')) FROM trades WHERE {_WINDOW}"""
    return int(await pool.fetchval(sql, symbol, start, end, interval))


async def symbols(pool: asyncpg.Pool, limit: int, offset: int) -> tuple[list[asyncpg.Record], int]:
    rows = await pool.fetch(SYMBOLS_SQL, limit, offset)
    # Past the last page there are no rows to carry the window count.
    total = rows[0]["total"] if rows else int(await pool.fetchval("SELECT count(*) FROM symbols"))
    return rows, total
