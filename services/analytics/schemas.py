"""The request and response bodies of the analytics API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator
from servicekit import Price, Quantity, ResourceId, Timestamp

SYMBOL_PATTERN = r"^[A-Z][A-Z0-9.]{0,11}$"
Symbol = Annotated[str, Field(pattern=SYMBOL_PATTERN, examples=["AAPL"])]
MAX_BATCH = 1000
EARLIEST_TRADE = datetime(2000, 1, 1, tzinfo=UTC)
# Clocks of trading systems drift; a minute is allowed, no more.
FUTURE_TOLERANCE = timedelta(minutes=1)

Interval = Literal["1m", "5m", "1h", "1d"]
INTERVALS: dict[str, timedelta] = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}


class TradeIn(BaseModel):
    client_trade_id: ResourceId = Field(
        description="The sender's ID of the trade; sending it again is safe (idempotent).",
        examples=["desk7-20260105-000042"],
    )
    symbol: Symbol
    size: Quantity = Field(examples=["100"])
    price: Price = Field(examples=["187.25"])
    executed_at: Timestamp = Field(
        description="When the trade executed, with a time zone; from 2000-01-01 to a minute "
        "from now.",
        examples=["2026-01-05T14:30:00Z"],
    )

    @field_validator("executed_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        if value < EARLIEST_TRADE:
            raise ValueError("executed_at may not be before 2000-01-01T00:00:00Z")
        if value > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValueError("executed_at may not be more than a minute in the future")
        return value


class Trade(TradeIn):
    id: int = Field(description="The service's ID of the trade.", examples=[1])
    received_at: datetime = Field(description="When the service first stored the trade.")


class TradeBatch(BaseModel):
    trades: list[TradeIn] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} trades, stored all or none.",
    )


class TradeBatchResult(BaseModel):
    trades: list[Trade] = Field(description="The stored trades, in the order sent.")


class SymbolStats(BaseModel):
    symbol: Symbol
    start: datetime | None
    end: datetime | None
    trade_count: int = Field(examples=[42])
    volume: Decimal | None = Field(description="Sum of sizes; null without trades.")
    vwap: Decimal | None = Field(
        description="Sum of price x size over sum of size, to 8 decimals; null without trades.",
        examples=["187.31250000"],
    )
    high: Decimal | None
    low: Decimal | None
    realised_volatility: float | None = Field(
        description="Annualised; null with fewer than three trades or no time between the "
        "first and last.",
        examples=[0.2134],
    )


class Candle(BaseModel):
    bucket_start: datetime = Field(description="Start of the interval (date_bin from 2000-01-01).")
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trade_count: int


class SymbolSummary(BaseModel):
    symbol: Symbol
    description: str = Field(examples=["Apple Inc."])
    last_price: Decimal | None = Field(description="Price of the latest trade; null if none.")
    last_trade_at: datetime | None
