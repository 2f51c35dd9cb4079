"""The analytics endpoints: trade capture, statistics, candles, the symbol listing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from servicekit import (
    PROBLEM_TYPE,
    FieldError,
    Page,
    PoolDep,
    Timestamp,
    problem_response,
    problem_schema,
    requires,
    validation_problem,
)

from . import stats as queries
from .schemas import (
    INTERVALS,
    MAX_BATCH,
    SYMBOL_PATTERN,
    Candle,
    Interval,
    SymbolStats,
    SymbolSummary,
    Trade,
    TradeBatch,
    TradeBatchResult,
    TradeIn,
)

# Who may call what (docs/security.md): reading statistics, candles, symbols and
# predictions needs analytics:read; recording trades needs analytics:write.
READ_SCOPE = "analytics:read"
WRITE_SCOPE = "analytics:write"
READ = [requires(READ_SCOPE)]
WRITE = [requires(WRITE_SCOPE)]

router = APIRouter(prefix="/v1")


SymbolPath = Annotated[str, Path(pattern=SYMBOL_PATTERN, examples=["AAPL"])]
Start = Annotated[
    Timestamp | None,
    Query(
        description="Inclusive start of the window, with a time zone.",
        examples=["2026-01-05T00:00:00Z"],
    ),
]
End = Annotated[
    Timestamp | None,
    Query(
        description="Exclusive end of the window, with a time zone.",
        examples=["2026-01-06T00:00:00Z"],
    ),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
# Bounded so that no offset overflows PostgreSQL's bigint (a 500, not a problem).
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]


class Conflict(Exception):
    """A client trade ID already stored with other content."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors


def _same(stored: asyncpg.Record, trade: TradeIn) -> bool:
    return (
        stored["symbol"] == trade.symbol
        and stored["size"] == trade.size
        and stored["price"] == trade.price
        and stored["executed_at"] == trade.executed_at
    )


def _trade(row: asyncpg.Record) -> Trade:
    return Trade.model_validate(dict(row))


async def _store(
    pool: asyncpg.Pool, trades: list[TradeIn], locations: list[list[str | int]]
) -> list[Trade]:
    """Stores the trades in one transaction; raises Conflict (and stores nothing) when a
    client trade ID is already taken by a different trade."""
    stored: dict[int, Trade] = {}
    conflicts: dict[int, FieldError] = {}
    # Inserted in client trade ID order: two batches sharing IDs then lock their rows in
    # the same order and wait for each other instead of deadlocking.
    order = sorted(range(len(trades)), key=lambda index: trades[index].client_trade_id)
    async with pool.acquire() as connection, connection.transaction():
        for index in order:
            trade = trades[index]
            # DO NOTHING waits for a concurrent insert of the same ID to commit, so the
            # SELECT below then reads the winner's row: replays never duplicate.
            await connection.execute(
                """INSERT INTO trades (client_trade_id, symbol, size, price, executed_at)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_trade_id) DO NOTHING""",
                trade.client_trade_id, trade.symbol, trade.size, trade.price, trade.executed_at,
            )  # fmt: skip
            row = await connection.fetchrow(
                """SELECT id, client_trade_id, symbol, size, price, executed_at, received_at
                   FROM trades WHERE client_trade_id = $1""",
                trade.client_trade_id,
            )
            assert row is not None
            if not _same(row, trade):
                conflicts[index] = FieldError(
                    location=[*locations[index], "client_trade_id"],
                    message=f"Trade {trade.client_trade_id!r} was already stored with "
                    "other content",
                    type="conflict",
                )
            stored[index] = _trade(row)
        if conflicts:
            raise Conflict([conflicts[index] for index in sorted(conflicts)])
    return [stored[index] for index in range(len(trades))]


async def _known_symbols(pool: asyncpg.Pool, trades: list[TradeIn]) -> set[str]:
    rows = await pool.fetch(
        "SELECT symbol FROM symbols WHERE symbol = ANY($1::text[])",
        list({t.symbol for t in trades}),
    )
    return {r["symbol"] for r in rows}


def _unknown(
    trades: list[TradeIn], known: set[str], locations: list[list[str | int]]
) -> list[FieldError]:
    return [
        FieldError(
            location=[*loc, "symbol"], message=f"Unknown symbol {t.symbol!r}", type="unknown_symbol"
        )
        for t, loc in zip(trades, locations, strict=True)
        if t.symbol not in known
    ]


async def _capture(
    request: Request, pool: asyncpg.Pool, trades: list[TradeIn], locations: list[list[str | int]]
) -> list[Trade] | JSONResponse:
    path = request.url.path
    if unknown := _unknown(trades, await _known_symbols(pool, trades), locations):
        return problem_response(
            422,
            title="Unknown symbol",
            detail=f"{len(unknown)} trade(s) name a symbol this service does not know.",
            problem_type=PROBLEM_TYPE + "unknown-symbol",
            instance=path,
            errors=unknown,
        )
    try:
        return await _store(pool, trades, locations)
    except Conflict as conflict:
        return problem_response(
            409,
            title="Client trade ID already used",
            detail="A client trade ID was stored before with a different symbol, size, price "
            "or time; nothing was stored.",
            problem_type=PROBLEM_TYPE + "trade-id-conflict",
            instance=path,
            errors=conflict.errors,
        )


ERRORS: dict[int | str, dict[str, Any]] = {
    409: problem_schema("A client trade ID was used before for another trade; nothing stored"),
    422: problem_schema("Invalid input or an unknown symbol; `errors` lists each field"),
}


@router.post(
    "/trades",
    status_code=201,
    dependencies=WRITE,
    tags=["trades"],
    summary="Record one trade",
    description="Idempotent on client_trade_id: the same trade sent again gets the same "
    "answer and is stored once; the same ID with other content is a 409.",
    responses=ERRORS,
)
async def post_trade(trade: TradeIn, request: Request, pool: PoolDep) -> Trade:
    result = await _capture(request, pool, [trade], [["body"]])
    if isinstance(result, JSONResponse):
        return result  # type: ignore[return-value]
    return result[0]


@router.post(
    "/trades/batch",
    status_code=201,
    dependencies=WRITE,
    tags=["trades"],
    summary=f"Record up to {MAX_BATCH} trades",
    description=f"1 to {MAX_BATCH} trades, stored in one transaction: all or none. Each "
    "trade is idempotent on its client_trade_id as in POST /v1/trades. A problem lists every "
    "bad trade's fields, located as ['body', 'trades', index, field].",
    responses=ERRORS,
)
async def post_trades(batch: TradeBatch, request: Request, pool: PoolDep) -> TradeBatchResult:
    locations: list[list[str | int]] = [["body", "trades", i] for i in range(len(batch.trades))]
    result = await _capture(request, pool, batch.trades, locations)
    if isinstance(result, JSONResponse):
        return result  # type: ignore[return-value]
    return TradeBatchResult(trades=result)


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: problem_schema("The symbol is not known"),
}


async def _check_query(
    request: Request, pool: asyncpg.Pool, symbol: str, start: datetime | None, end: datetime | None
) -> JSONResponse | None:
    if start is not None and end is not None and end <= start:
        return validation_problem(
            request,
            [
                FieldError(
                    location=["query", "end"], message="end must be after start", type="window"
                )
            ],
        )
    if not await queries.symbol_exists(pool, symbol):
        return problem_response(
            404,
            title="Unknown symbol",
            detail=f"No symbol {symbol!r}; GET /v1/symbols lists them.",
            problem_type=PROBLEM_TYPE + "unknown-symbol",
            instance=request.url.path,
            errors=[
                FieldError(
                    location=["path", "symbol"],
                    message=f"Unknown symbol {symbol!r}",
                    type="unknown_symbol",
                )
            ],
        )
    return None


@router.get(
    "/symbols/{symbol}/stats",
    dependencies=READ,
    tags=["statistics"],
    summary="Trade statistics of a symbol over a window",
    description="""Over the trades with start <= executed_at < end (either bound may be left
out), computed in PostgreSQL:

- **vwap** = sum(price x size) / sum(size), rounded to 8 decimals; **volume** = sum(size);
  **trade_count**, **high** and **low** of the prices.
- **realised_volatility**: with trades ordered by (executed_at, arrival), the log returns
  r_i = ln(p_i / p_{i-1}) between consecutive trades; their sample standard deviation s
  (n - 1 in the denominator) is per trade, and is annualised by the square root of the
  number of returns a year would have at the window's observed rate:
  `s x sqrt(n x 31 536 000 / T)`, with n returns, T the seconds between the first and last
  trade, and 31 536 000 the seconds of a 365-day year (trading around the clock). Null with
  fewer than two returns or T = 0.""",
    responses=NOT_FOUND,
)
async def symbol_stats(
    symbol: SymbolPath,
    request: Request,
    pool: PoolDep,
    start: Start = None,
    end: End = None,
) -> SymbolStats:
    if (problem := await _check_query(request, pool, symbol, start, end)) is not None:
        return problem  # type: ignore[return-value]
    row = await queries.stats(pool, symbol, start, end)
    return SymbolStats(symbol=symbol, start=start, end=end, **dict(row))


@router.get(
    "/symbols/{symbol}/candles",
    dependencies=READ,
    tags=["statistics"],
    summary="OHLC candles of a symbol",
    description="One candle per interval that has trades, from PostgreSQL's date_bin with "
    "buckets aligned to 2000-01-01T00:00:00Z; oldest first, paged by offset and limit.",
    responses=NOT_FOUND,
)
async def symbol_candles(
    symbol: SymbolPath,
    request: Request,
    pool: PoolDep,
    interval: Annotated[Interval, Query(description="Candle width.")] = "1m",
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[Candle]:
    if (problem := await _check_query(request, pool, symbol, start, end)) is not None:
        return problem  # type: ignore[return-value]
    width = INTERVALS[interval]
    rows = await queries.candles(pool, symbol, start, end, width, limit, offset)
    total = await queries.count_candles(pool, symbol, start, end, width)
    return Page[Candle](
        items=[Candle.model_validate(dict(r)) for r in rows],
        offset=offset,
        limit=limit,
        total=total,
    )


@router.get(
    "/symbols",
    dependencies=READ,
    tags=["symbols"],
    summary="Symbols with their last trade",
    description="Every known symbol in alphabetical order, with the price and time of its "
    "latest trade (null before its first), paged by offset and limit.",
)
async def list_symbols(
    pool: PoolDep, limit: Limit = 100, offset: Offset = 0
) -> Page[SymbolSummary]:
    rows, total = await queries.symbols(pool, limit, offset)
    items = [
        SymbolSummary.model_validate({k: r[k] for k in SymbolSummary.model_fields}) for r in rows
    ]
    return Page[SymbolSummary](items=items, offset=offset, limit=limit, total=total)
