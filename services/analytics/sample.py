"""Sample trades for the embedded database of `bazel run`: a seeded random walk per symbol
over the last two hours, so statistics, candles and predictions show real numbers."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

STARTING_PRICES = {
    "AAPL": 187.25,
    "MSFT": 411.10,
    "GOOGL": 152.40,
    "AMZN": 178.90,
    "BRK.B": 409.75,
    "SPY": 521.30,
}
TRADES_PER_SYMBOL = 600


def sample_trades(
    now: datetime, seed: int = 2026
) -> list[tuple[str, str, Decimal, Decimal, datetime]]:
    """(client trade ID, symbol, size, price, executed at), oldest first per symbol, the
    last trade of each symbol at ``now``: a sample never lies in the future."""
    rng = random.Random(seed)
    trades = []
    for symbol, price in STARTING_PRICES.items():
        walk = []
        at = timedelta(0)
        for number in range(TRADES_PER_SYMBOL):
            price *= math.exp(rng.gauss(0, 0.0008))
            at += timedelta(seconds=rng.uniform(5, 19))
            size = Decimal(rng.randrange(1, 500))
            walk.append((f"sample-{symbol}-{number}", symbol, size, Decimal(f"{price:.4f}"), at))
        # About two hours (600 gaps of 5 to 19 s), ending now.
        trades += [(*trade[:4], now - (at - trade[4])) for trade in walk]
    return trades


async def load_sample(connection: asyncpg.Connection) -> int:
    """Inserts the sample into an empty trades table; returns how many trades it added."""
    if await connection.fetchval("SELECT count(*) FROM trades") > 0:
        return 0
    trades = sample_trades(datetime.now(UTC))
    await connection.executemany(
        "INSERT INTO trades (client_trade_id, symbol, size, price, executed_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        trades,
    )
    return len(trades)
