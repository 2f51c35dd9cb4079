"""GET /v1/symbols/{symbol}/stats and /candles (docs/analytics.md, Statistics): the doc's
four trades on a day of the case's own, their statistics and candles, windows, paging,
and the refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from contract_support import PROBLEM_TYPE, assert_problem, validation_problem
from httpx import Client

STATS = pytest.mark.uses("GET /v1/symbols/{symbol}/stats")
CANDLES = pytest.mark.uses("GET /v1/symbols/{symbol}/candles")
RECORDS = pytest.mark.uses("POST /v1/trades/batch")


def at(day: datetime, hours: float) -> str:
    return (day + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_doc_trades(client: Client, trade_id: str, day: datetime) -> None:
    """docs/analytics.md's four AAPL trades, on ``day``."""
    trades = [
        ("100", "187.25", 14.5),
        ("250", "187.40", 14.5 + 1 / 60),
        ("50", "186.95", 14.75),
        ("400", "187.10", 15 + 10 / 60),
    ]
    answer = client.post(
        "/v1/trades/batch",
        json={
            "trades": [
                {
                    "client_trade_id": f"{trade_id}-{n}",
                    "symbol": "AAPL",
                    "size": size,
                    "price": price,
                    "executed_at": at(day, hours),
                }
                for n, (size, price, hours) in enumerate(trades)
            ]
        },
    )
    assert answer.status_code == 201, answer.text


def window(day: datetime, start: float = 0, end: float = 24) -> dict[str, str]:
    return {"start": at(day, start), "end": at(day, end)}


# Statistics


@STATS
@RECORDS
def test_statistics_of_the_doc_example(client: Client, trade_id: str, day: datetime) -> None:
    record_doc_trades(client, trade_id, day)
    answer = client.get("/v1/symbols/AAPL/stats", params=window(day))
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    assert stats == {
        "symbol": "AAPL",
        "start": at(day, 0),
        "end": at(day, 24),
        "trade_count": 4,
        "volume": "800.000000",
        "vwap": "187.20312500",
        "high": "187.40000000",
        "low": "186.95000000",
        "realised_volatility": pytest.approx(0.367452621228533, rel=1e-12),
    }


@STATS
@RECORDS
@pytest.mark.parametrize(
    ("bounds", "count"),
    [
        ({"start": 14.5, "end": 15 + 10 / 60}, 3),  # start included, end excluded
        ({"start": 14.5 + 1 / 60, "end": 24}, 3),
        ({"start": 0, "end": 14.5}, 0),
    ],
    ids=["start-in-end-out", "later-start", "before"],
)
def test_a_window_is_start_inclusive_end_exclusive(
    client: Client, trade_id: str, day: datetime, bounds: dict[str, float], count: int
) -> None:
    record_doc_trades(client, trade_id, day)
    params = {name: at(day, hours) for name, hours in bounds.items()}
    stats = client.get("/v1/symbols/AAPL/stats", params=params).json()
    assert stats["trade_count"] == count
    assert stats["end"] == params.get("end")


@STATS
def test_an_empty_window_has_nulls(client: Client, day: datetime) -> None:
    stats = client.get("/v1/symbols/MSFT/stats", params=window(day)).json()
    assert stats == {
        "symbol": "MSFT",
        "start": at(day, 0),
        "end": at(day, 24),
        "trade_count": 0,
        "volume": None,
        "vwap": None,
        "high": None,
        "low": None,
        "realised_volatility": None,
    }


@STATS
@RECORDS
def test_volatility_needs_three_trades(client: Client, trade_id: str, day: datetime) -> None:
    record_doc_trades(client, trade_id, day)
    stats = client.get("/v1/symbols/AAPL/stats", params=window(day, 0, 14.6)).json()
    assert stats["trade_count"] == 2
    assert stats["realised_volatility"] is None


@STATS
def test_window_bounds_come_back_in_utc(client: Client, day: datetime) -> None:
    start = (day + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    stats = client.get("/v1/symbols/MSFT/stats", params={"start": start}).json()
    assert stats["start"] == at(day, 1)
    assert stats["end"] is None


@STATS
@pytest.mark.parametrize("symbol", ["NOPE", "ZZ.A"])
def test_an_unknown_symbol_is_a_404_problem(client: Client, symbol: str) -> None:
    assert_problem(
        client.get(f"/v1/symbols/{symbol}/stats"),
        404,
        PROBLEM_TYPE + "unknown-symbol",
        title="Unknown symbol",
        errors=[(["path", "symbol"], "unknown_symbol")],
    )


# What the reference (pydantic) says of each bad query, location and type.
BAD_WINDOWS: list[tuple[str, dict[str, str], list[tuple[list[Any], str]]]] = [
    ("aapl", {}, [(["path", "symbol"], "string_pattern_mismatch")]),
    ("AAPL", {"start": "2026-01-05T00:00:00"}, [(["query", "start"], "value_error")]),
    ("AAPL", {"end": "2026-01-05"}, [(["query", "end"], "value_error")]),
    ("AAPL", {"start": "yesterday"}, [(["query", "start"], "datetime_from_date_parsing")]),
    (
        "AAPL",
        {"start": "2026-01-06T00:00:00Z", "end": "2026-01-05T00:00:00Z"},
        [(["query", "end"], "window")],
    ),
    (
        "AAPL",
        {"start": "2026-01-05T00:00:00Z", "end": "2026-01-05T00:00:00Z"},
        [(["query", "end"], "window")],
    ),
    # Validation before the symbol is looked up: a 422, not a 404.
    ("NOPE", {"start": "yesterday"}, [(["query", "start"], "datetime_from_date_parsing")]),
    # Never Unix time.
    ("AAPL", {"end": "1294317000"}, [(["query", "end"], "timestamp_type")]),
]


@STATS
@pytest.mark.parametrize(
    ("symbol", "params", "errors"),
    BAD_WINDOWS,
    ids=[
        "symbol-pattern",
        "no-zone",
        "date-only",
        "not-a-time",
        "reversed",
        "empty",
        "unknown",
        "unix-time",
    ],
)
def test_a_bad_query_is_a_422_locating_it(
    client: Client, symbol: str, params: dict[str, str], errors: list[tuple[list[Any], str]]
) -> None:
    validation_problem(client.get(f"/v1/symbols/{symbol}/stats", params=params), errors)


# Candles

DOC_HOURLY = [
    {
        "bucket_start": "14:00",
        "open": "187.25000000",
        "high": "187.40000000",
        "low": "186.95000000",
        "close": "186.95000000",
        "volume": "400.000000",
        "trade_count": 3,
    },
    {
        "bucket_start": "15:00",
        "open": "187.10000000",
        "high": "187.10000000",
        "low": "187.10000000",
        "close": "187.10000000",
        "volume": "400.000000",
        "trade_count": 1,
    },
]


def on(day: datetime, candle: dict[str, Any]) -> dict[str, Any]:
    hours, minutes = map(int, candle["bucket_start"].split(":"))
    return candle | {"bucket_start": at(day, hours + minutes / 60)}


@CANDLES
@RECORDS
def test_hourly_candles_of_the_doc_example(client: Client, trade_id: str, day: datetime) -> None:
    record_doc_trades(client, trade_id, day)
    answer = client.get("/v1/symbols/AAPL/candles", params={"interval": "1h", **window(day)})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "items": [on(day, candle) for candle in DOC_HOURLY],
        "next_cursor": None,
        "offset": 0,
        "limit": 100,
        "total": 2,
    }


@CANDLES
@RECORDS
@pytest.mark.parametrize(
    ("interval", "starts"),
    [
        (None, ["14:30", "14:31", "14:45", "15:10"]),  # 1m is the default
        ("5m", ["14:30", "14:45", "15:10"]),
        ("1d", ["00:00"]),
    ],
    ids=["default", "5m", "1d"],
)
def test_candles_per_interval(
    client: Client, trade_id: str, day: datetime, interval: str | None, starts: list[str]
) -> None:
    record_doc_trades(client, trade_id, day)
    params = window(day) | ({"interval": interval} if interval else {})
    page = client.get("/v1/symbols/AAPL/candles", params=params).json()
    assert [c["bucket_start"] for c in page["items"]] == [
        on(day, {"bucket_start": s})["bucket_start"] for s in starts
    ]
    assert page["total"] == len(starts)
    assert sum(c["trade_count"] for c in page["items"]) == 4


@CANDLES
@RECORDS
@pytest.mark.parametrize(
    ("limit", "offset", "starts"),
    [(2, 1, ["14:31", "14:45"]), (1, 3, ["15:10"]), (5, 4, []), (1000, 0, None)],
)
def test_candles_are_paged(
    client: Client,
    trade_id: str,
    day: datetime,
    limit: int,
    offset: int,
    starts: list[str] | None,
) -> None:
    record_doc_trades(client, trade_id, day)
    params = window(day) | {"limit": limit, "offset": offset}
    page = client.get("/v1/symbols/AAPL/candles", params=params).json()
    expected = starts if starts is not None else ["14:30", "14:31", "14:45", "15:10"]
    assert [c["bucket_start"] for c in page["items"]] == [
        on(day, {"bucket_start": s})["bucket_start"] for s in expected
    ]
    assert (page["offset"], page["limit"], page["total"], page["next_cursor"]) == (
        offset,
        limit,
        4,
        None,
    )


@CANDLES
@pytest.mark.uses("POST /v1/trades")
def test_trades_at_one_instant_are_in_arrival_order(
    client: Client, trade_id: str, day: datetime
) -> None:
    for n, price in enumerate(["20", "10", "30"]):
        sent = {
            "client_trade_id": f"{trade_id}-{n}",
            "symbol": "GOOGL",
            "size": "1",
            "price": price,
            "executed_at": at(day, 9),
        }
        assert client.post("/v1/trades", json=sent).status_code == 201
    (candle,) = client.get("/v1/symbols/GOOGL/candles", params=window(day)).json()["items"]
    assert (candle["open"], candle["close"]) == ("20.00000000", "30.00000000")
    assert (candle["high"], candle["low"]) == ("30.00000000", "10.00000000")


@CANDLES
def test_no_trades_no_candles(client: Client, day: datetime) -> None:
    page = client.get("/v1/symbols/SPY/candles", params=window(day)).json()
    assert page == {"items": [], "next_cursor": None, "offset": 0, "limit": 100, "total": 0}


@CANDLES
def test_candles_of_an_unknown_symbol_are_a_404_problem(client: Client) -> None:
    assert_problem(
        client.get("/v1/symbols/NOPE/candles"),
        404,
        PROBLEM_TYPE + "unknown-symbol",
        title="Unknown symbol",
        errors=[(["path", "symbol"], "unknown_symbol")],
    )


@CANDLES
@pytest.mark.parametrize(
    ("symbol", "params", "errors"),
    [
        ("AAPL", {"interval": "2h"}, [(["query", "interval"], "literal_error")]),
        ("AAPL", {"interval": "1M"}, [(["query", "interval"], "literal_error")]),
        ("AAPL", {"limit": "0"}, [(["query", "limit"], "greater_than_equal")]),
        ("AAPL", {"limit": "1001"}, [(["query", "limit"], "less_than_equal")]),
        ("AAPL", {"offset": "-1"}, [(["query", "offset"], "greater_than_equal")]),
        ("AAPL", {"limit": "ten"}, [(["query", "limit"], "int_parsing")]),
        (
            "AAPL",
            {"start": "2026-01-06T00:00:00Z", "end": "2026-01-05T00:00:00Z"},
            [(["query", "end"], "window")],
        ),
        ("NOPE", {"interval": "2h"}, [(["query", "interval"], "literal_error")]),
        (
            "AAPL",
            {"interval": "2h", "limit": "0", "start": "2026-01-05"},
            [
                (["query", "interval"], "literal_error"),
                (["query", "start"], "value_error"),
                (["query", "limit"], "greater_than_equal"),
            ],
        ),
    ],
    ids=[
        "interval",
        "interval-case",
        "limit-0",
        "limit-1001",
        "offset",
        "limit-text",
        "reversed",
        "unknown-symbol",
        "several",
    ],
)
def test_a_bad_candle_query_is_a_422_locating_it(
    client: Client, symbol: str, params: dict[str, str], errors: list[tuple[list[Any], str]]
) -> None:
    validation_problem(client.get(f"/v1/symbols/{symbol}/candles", params=params), errors)
