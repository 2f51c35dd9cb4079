"""Trade capture: validation as problem+json, idempotency, batches all or none."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"


def trade(client_trade_id: str = "t-1", **changes: Any) -> dict[str, Any]:
    body = {
        "client_trade_id": client_trade_id,
        "symbol": "AAPL",
        "size": "100",
        "price": "187.25",
        "executed_at": "2026-01-05T14:30:00Z",
    }
    return body | changes


def locations(answer: httpx.Response) -> list[list[Any]]:
    assert answer.headers["content-type"] == PROBLEM, answer.text
    return [error["location"] for error in answer.json()["errors"]]


async def test_a_trade_is_stored(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/trades", json=trade(price=187.25, size=100))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["client_trade_id"] == "t-1"
    assert body["symbol"] == "AAPL"
    # Amounts come back at the stored scale (6 and 8 places): equal values, as decimals.
    assert Decimal(body["size"]) == Decimal("100")
    assert Decimal(body["price"]) == Decimal("187.25")
    assert datetime.fromisoformat(body["executed_at"]) == datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    assert isinstance(body["id"], int)


async def test_the_same_trade_again_gets_the_same_answer(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/trades", json=trade())
    # The same content written otherwise: another time zone, a number for a string.
    again = await client.post(
        "/v1/trades", json=trade(size=100, price="187.250", executed_at="2026-01-05T15:30:00+01:00")
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    stats = await client.get("/v1/symbols/AAPL/stats")
    assert stats.json()["trade_count"] == 1


async def test_concurrent_replays_store_one_trade(client: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(client.post("/v1/trades", json=trade()) for _ in range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.text for a in answers}) == 1
    assert (await client.get("/v1/symbols/AAPL/stats")).json()["trade_count"] == 1


async def test_concurrent_batches_sharing_ids_neither_deadlock_nor_duplicate(
    client: httpx.AsyncClient,
) -> None:
    ids = [f"d-{i:03}" for i in range(200)]
    batches = [
        {"trades": [trade(i) for i in ids]},
        {"trades": [trade(i) for i in reversed(ids)]},
    ] * 2
    answers = await asyncio.gather(*(client.post("/v1/trades/batch", json=b) for b in batches))
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert answers[0].json() == answers[2].json()
    assert (await client.get("/v1/symbols/AAPL/stats")).json()["trade_count"] == 200


async def test_the_same_id_with_other_content_is_a_conflict(client: httpx.AsyncClient) -> None:
    await client.post("/v1/trades", json=trade())
    answer = await client.post("/v1/trades", json=trade(price="187.26"))
    assert answer.status_code == 409
    assert locations(answer) == [["body", "client_trade_id"]]
    stats = await client.get("/v1/symbols/AAPL/stats")
    assert stats.json()["vwap"] == "187.25000000"


NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"symbol": "aapl"}, "symbol"),
        ({"symbol": "1AAPL"}, "symbol"),
        ({"symbol": "ABCDEFGHIJKLM"}, "symbol"),
        ({"size": 0}, "size"),
        ({"size": "-1"}, "size"),
        ({"size": "1.0000001"}, "size"),
        ({"price": 0}, "price"),
        ({"price": "abc"}, "price"),
        ({"executed_at": "2026-01-05T14:30:00"}, "executed_at"),
        ({"executed_at": "1999-12-31T23:59:59Z"}, "executed_at"),
        ({"executed_at": (NOW + timedelta(minutes=5)).isoformat()}, "executed_at"),
        ({"executed_at": "yesterday"}, "executed_at"),
        ({"executed_at": "0001-01-01T00:00:00+01:00"}, "executed_at"),
        ({"client_trade_id": ""}, "client_trade_id"),
        ({"client_trade_id": "a b"}, "client_trade_id"),
    ],
)
async def test_bad_trades_are_problems_naming_the_field(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    answer = await client.post("/v1/trades", json=trade(**change))
    assert answer.status_code == 422
    assert ["body", field] in locations(answer)


async def test_a_missing_field_is_named(client: httpx.AsyncClient) -> None:
    body = trade()
    del body["price"]
    answer = await client.post("/v1/trades", json=body)
    assert answer.status_code == 422
    assert locations(answer) == [["body", "price"]]


async def test_a_trade_a_few_seconds_ahead_is_accepted(client: httpx.AsyncClient) -> None:
    ahead = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
    answer = await client.post("/v1/trades", json=trade(executed_at=ahead))
    assert answer.status_code == 201, answer.text


async def test_an_unknown_symbol_is_a_problem_naming_the_field(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/trades", json=trade(symbol="ZZZZ"))
    assert answer.status_code == 422
    assert locations(answer) == [["body", "symbol"]]
    assert "ZZZZ" in answer.json()["errors"][0]["message"]


async def test_malformed_json_is_a_problem(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/trades", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM


async def test_a_batch_is_stored_in_order(client: httpx.AsyncClient) -> None:
    trades = [trade(f"b-{i}", price=f"{100 + i}") for i in range(3)]
    answer = await client.post("/v1/trades/batch", json={"trades": trades})
    assert answer.status_code == 201, answer.text
    stored = answer.json()["trades"]
    assert [t["client_trade_id"] for t in stored] == ["b-0", "b-1", "b-2"]
    again = await client.post("/v1/trades/batch", json={"trades": trades})
    assert again.json() == answer.json()
    assert (await client.get("/v1/symbols/AAPL/stats")).json()["trade_count"] == 3


async def test_a_batch_problem_lists_each_bad_item(client: httpx.AsyncClient) -> None:
    trades = [
        trade("ok-0"),
        trade("bad-1", size=0),
        trade("ok-2"),
        trade("bad-3", symbol="x", price=-1),
    ]
    answer = await client.post("/v1/trades/batch", json={"trades": trades})
    assert answer.status_code == 422
    assert sorted(map(str, locations(answer))) == sorted(
        map(
            str,
            [
                ["body", "trades", 1, "size"],
                ["body", "trades", 3, "symbol"],
                ["body", "trades", 3, "price"],
            ],
        )
    )
    assert (await client.get("/v1/symbols/AAPL/stats")).json()["trade_count"] == 0


async def test_a_batch_with_unknown_symbols_stores_nothing(client: httpx.AsyncClient) -> None:
    trades = [trade("u-0"), trade("u-1", symbol="NOPE"), trade("u-2", symbol="ZZ.A")]
    answer = await client.post("/v1/trades/batch", json={"trades": trades})
    assert answer.status_code == 422
    assert locations(answer) == [["body", "trades", 1, "symbol"], ["body", "trades", 2, "symbol"]]
    assert (await client.get("/v1/symbols/AAPL/stats")).json()["trade_count"] == 0


async def test_a_batch_conflict_stores_nothing(client: httpx.AsyncClient) -> None:
    await client.post("/v1/trades", json=trade("c-1"))
    trades = [trade("c-0"), trade("c-1", size=7), trade("c-2"), trade("c-0", price=1)]
    answer = await client.post("/v1/trades/batch", json={"trades": trades})
    assert answer.status_code == 409
    assert locations(answer) == [
        ["body", "trades", 1, "client_trade_id"],
        ["body", "trades", 3, "client_trade_id"],
    ]
    assert (await client.get("/v1/symbols/AAPL/stats")).json()["trade_count"] == 1


@pytest.mark.parametrize("count", [0, 1001])
async def test_batch_size_is_bounded(client: httpx.AsyncClient, count: int) -> None:
    answer = await client.post(
        "/v1/trades/batch", json={"trades": [trade(f"n-{i}") for i in range(count)]}
    )
    assert answer.status_code == 422
    assert locations(answer) == [["body", "trades"]]


async def test_the_largest_batch_is_accepted(client: httpx.AsyncClient) -> None:
    trades = [trade(f"m-{i}") for i in range(1000)]
    answer = await client.post("/v1/trades/batch", json={"trades": trades})
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["trades"]) == 1000
