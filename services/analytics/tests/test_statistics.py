"""Statistics, candles and the symbol listing against values computed here by hand."""

import itertools
import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"
T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
# (seconds after T0, price, size) of AAPL, deliberately sent out of time order.
AAPL = [
    (120, "99.5", "20"),
    (0, "100", "10"),
    (60, "101", "5"),
    (240, "100.75", "8"),
    (180, "102.25", "1.5"),
]
# Outside the window asked for below, and another symbol: neither may count.
LATER = (3 * 3600, "150", "1")
MSFT = (30, "400", "3")
WINDOW = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}
SECONDS_PER_YEAR = 365 * 24 * 3600


def body(symbol: str, index: int, seconds: int, price: str, size: str) -> dict[str, Any]:
    return {
        "client_trade_id": f"{symbol}-{index}",
        "symbol": symbol,
        "size": size,
        "price": price,
        "executed_at": (T0 + timedelta(seconds=seconds)).isoformat(),
    }


@pytest.fixture
async def trades(client: httpx.AsyncClient) -> httpx.AsyncClient:
    items = [body("AAPL", i, *t) for i, t in enumerate([*AAPL, LATER])]
    items.append(body("MSFT", 0, *MSFT))
    answer = await client.post("/v1/trades/batch", json={"trades": items})
    assert answer.status_code == 201, answer.text
    return client


def by_time() -> list[tuple[int, Decimal, Decimal]]:
    return sorted((s, Decimal(p), Decimal(q)) for s, p, q in AAPL)


async def test_stats_match_a_hand_computation(trades: httpx.AsyncClient) -> None:
    answer = await trades.get("/v1/symbols/AAPL/stats", params=WINDOW)
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    rows = by_time()
    volume = sum(q for _, _, q in rows)
    vwap = (sum(p * q for _, p, q in rows) / volume).quantize(Decimal("1e-8"), ROUND_HALF_UP)
    assert stats["trade_count"] == 5
    assert Decimal(stats["volume"]) == volume == Decimal("44.5")
    assert Decimal(stats["vwap"]) == vwap
    assert Decimal(stats["high"]) == Decimal("102.25")
    assert Decimal(stats["low"]) == Decimal("99.5")
    # Log returns between consecutive trades, sample standard deviation, scaled by the
    # square root of the returns a year would hold at this window's rate.
    prices = [float(p) for _, p, _ in rows]
    returns = [math.log(b / a) for a, b in itertools.pairwise(prices)]
    elapsed = rows[-1][0] - rows[0][0]
    expected = statistics.stdev(returns) * math.sqrt(len(returns) * SECONDS_PER_YEAR / elapsed)
    assert stats["realised_volatility"] == pytest.approx(expected, rel=1e-9)


async def test_stats_without_a_window_take_every_trade(trades: httpx.AsyncClient) -> None:
    stats = (await trades.get("/v1/symbols/AAPL/stats")).json()
    assert stats["trade_count"] == 6
    assert Decimal(stats["high"]) == Decimal("150")


async def test_stats_of_an_empty_window(trades: httpx.AsyncClient) -> None:
    answer = await trades.get("/v1/symbols/GOOGL/stats", params={"start": "2026-01-01T00:00:00Z"})
    assert answer.status_code == 200
    stats = answer.json()
    assert stats["trade_count"] == 0
    assert stats["vwap"] is None
    assert stats["volume"] is None
    assert stats["realised_volatility"] is None


async def test_volatility_needs_two_returns(client: httpx.AsyncClient) -> None:
    items = [body("SPY", i, *t) for i, t in enumerate([(0, "10", "1"), (60, "11", "1")])]
    await client.post("/v1/trades/batch", json={"trades": items})
    stats = (await client.get("/v1/symbols/SPY/stats")).json()
    assert stats["trade_count"] == 2
    assert stats["realised_volatility"] is None


async def test_one_minute_candles(trades: httpx.AsyncClient) -> None:
    answer = await trades.get("/v1/symbols/AAPL/candles", params={"interval": "1m", **WINDOW})
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == 5
    candles = page["items"]
    expected = by_time()
    assert [datetime.fromisoformat(c["bucket_start"]) for c in candles] == [
        T0 + timedelta(seconds=s) for s, _, _ in expected
    ]
    for candle, (_, price, size) in zip(candles, expected, strict=True):
        assert {Decimal(candle[k]) for k in ("open", "high", "low", "close")} == {price}
        assert Decimal(candle["volume"]) == size
        assert candle["trade_count"] == 1


async def test_five_minute_and_hourly_candles(trades: httpx.AsyncClient) -> None:
    for interval in ("5m", "1h"):
        answer = await trades.get(
            "/v1/symbols/AAPL/candles", params={"interval": interval, **WINDOW}
        )
        [candle] = answer.json()["items"]
        assert datetime.fromisoformat(candle["bucket_start"]) == T0.replace(
            minute=30 if interval == "5m" else 0
        )
        assert Decimal(candle["open"]) == Decimal("100")
        assert Decimal(candle["close"]) == Decimal("100.75")
        assert Decimal(candle["high"]) == Decimal("102.25")
        assert Decimal(candle["low"]) == Decimal("99.5")
        assert Decimal(candle["volume"]) == Decimal("44.5")
        assert candle["trade_count"] == 5


async def test_daily_candles_include_the_later_trade(trades: httpx.AsyncClient) -> None:
    [candle] = (await trades.get("/v1/symbols/AAPL/candles", params={"interval": "1d"})).json()[
        "items"
    ]
    assert datetime.fromisoformat(candle["bucket_start"]) == datetime(2026, 1, 5, tzinfo=UTC)
    assert Decimal(candle["close"]) == Decimal("150")
    assert candle["trade_count"] == 6


async def test_candles_are_paginated(trades: httpx.AsyncClient) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = (
            await trades.get(
                "/v1/symbols/AAPL/candles", params={"interval": "1m", "limit": 2, "offset": offset}
            )
        ).json()
        assert (page["total"], page["limit"], page["offset"]) == (6, 2, offset)
        if not page["items"]:
            break
        assert len(page["items"]) <= 2
        seen += [c["bucket_start"] for c in page["items"]]
        offset += 2
    assert len(seen) == 6
    assert seen == sorted(seen, key=datetime.fromisoformat)


async def test_symbols_list_their_last_trade(trades: httpx.AsyncClient) -> None:
    answer = await trades.get("/v1/symbols")
    assert answer.status_code == 200
    page = answer.json()
    assert page["total"] == 6
    listed = {item["symbol"]: item for item in page["items"]}
    assert list(listed) == sorted(listed) == ["AAPL", "AMZN", "BRK.B", "GOOGL", "MSFT", "SPY"]
    assert Decimal(listed["AAPL"]["last_price"]) == Decimal("150")
    assert datetime.fromisoformat(listed["AAPL"]["last_trade_at"]) == T0 + timedelta(hours=3)
    assert Decimal(listed["MSFT"]["last_price"]) == Decimal("400")
    assert listed["GOOGL"]["last_price"] is None
    assert listed["GOOGL"]["last_trade_at"] is None


async def test_symbols_are_paginated(client: httpx.AsyncClient) -> None:
    pages = [
        (await client.get("/v1/symbols", params={"limit": 4, "offset": offset})).json()
        for offset in (0, 4, 8)
    ]
    assert [len(p["items"]) for p in pages] == [4, 2, 0]
    assert all(p["total"] == 6 for p in pages)
    symbols = [item["symbol"] for p in pages for item in p["items"]]
    assert symbols == sorted(set(symbols))


@pytest.mark.parametrize(
    ("path", "params", "location"),
    [
        ("/v1/symbols/aapl/stats", {}, ["path", "symbol"]),
        ("/v1/symbols/AAPL/stats", {"start": "2026-01-05T00:00:00"}, ["query", "start"]),
        ("/v1/symbols/AAPL/stats", {"end": "tomorrow"}, ["query", "end"]),
        (
            "/v1/symbols/AAPL/stats",
            {"start": "2026-01-06T00:00:00Z", "end": "2026-01-05T00:00:00Z"},
            ["query", "end"],
        ),
        ("/v1/symbols/AAPL/candles", {"interval": "2m"}, ["query", "interval"]),
        ("/v1/symbols/AAPL/candles", {"limit": 0}, ["query", "limit"]),
        ("/v1/symbols/AAPL/candles", {"limit": 1001}, ["query", "limit"]),
        ("/v1/symbols/AAPL/candles", {"offset": -1}, ["query", "offset"]),
        (
            "/v1/symbols/AAPL/candles",
            {"start": "2026-01-06T00:00:00Z", "end": "2026-01-06T00:00:00Z"},
            ["query", "end"],
        ),
        ("/v1/symbols/A$/candles", {}, ["path", "symbol"]),
        ("/v1/symbols", {"limit": "many"}, ["query", "limit"]),
        ("/v1/symbols", {"offset": -5}, ["query", "offset"]),
        ("/v1/symbols", {"offset": 10**20}, ["query", "offset"]),
        ("/v1/symbols/AAPL/stats", {"start": "0001-01-01T00:00:00+01:00"}, ["query", "start"]),
    ],
)
async def test_bad_queries_are_problems_naming_the_parameter(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], location: list[str]
) -> None:
    answer = await client.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert location in [e["location"] for e in answer.json()["errors"]]


@pytest.mark.parametrize("path", ["/v1/symbols/ZZZZ/stats", "/v1/symbols/ZZZZ/candles"])
async def test_unknown_symbols_are_404_problems(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"][0]["location"] == ["path", "symbol"]


async def test_the_openapi_document_has_examples(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in (
        "/v1/trades",
        "/v1/trades/batch",
        "/v1/symbols",
        "/v1/symbols/{symbol}/stats",
        "/v1/symbols/{symbol}/candles",
    ):
        assert path in paths
    assert "31 536 000" in paths["/v1/symbols/{symbol}/stats"]["get"]["description"]
    for path, method, status in [
        ("/v1/trades", "post", "409"),
        ("/v1/trades/batch", "post", "409"),
        ("/v1/trades", "post", "422"),
        ("/v1/symbols/{symbol}/stats", "get", "404"),
        ("/v1/symbols/{symbol}/candles", "get", "404"),
    ]:
        assert PROBLEM in paths[path][method]["responses"][status]["content"]
    trade_in = document["components"]["schemas"]["TradeIn"]["properties"]
    assert all(trade_in[f].get("examples") for f in ("client_trade_id", "symbol", "executed_at"))
