"""GET /v1/symbols (docs/analytics.md): the symbols with their last trade, paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contract_support import media_type, validation_problem
from httpx import Client

SYMBOLS = ["AAPL", "AMZN", "BRK.B", "GOOGL", "MSFT", "SPY"]


def test_the_listing(client: Client) -> None:
    answer = client.get("/v1/symbols")
    assert answer.status_code == 200
    assert media_type(answer) == "application/json"
    page = answer.json()
    assert set(page) == {"items", "next_cursor", "offset", "limit", "total"}
    assert (page["offset"], page["limit"], page["total"], page["next_cursor"]) == (0, 100, 6, None)
    assert [item["symbol"] for item in page["items"]] == SYMBOLS
    for item in page["items"]:
        assert set(item) == {"symbol", "description", "last_price", "last_trade_at"}
        assert isinstance(item["description"], str)
        assert item["description"]
    assert page["items"][0]["description"] == "Apple Inc."


@pytest.mark.parametrize(
    ("limit", "offset", "symbols"),
    [
        (2, 0, SYMBOLS[:2]),
        (2, 2, SYMBOLS[2:4]),
        (2, 5, SYMBOLS[5:]),
        (2, 6, []),
        (1, 1_000_000_000, []),
        (1000, 0, SYMBOLS),
    ],
)
def test_the_listing_is_paged(client: Client, limit: int, offset: int, symbols: list[str]) -> None:
    page = client.get("/v1/symbols", params={"limit": limit, "offset": offset}).json()
    assert [item["symbol"] for item in page["items"]] == symbols
    assert (page["offset"], page["limit"], page["total"], page["next_cursor"]) == (
        offset,
        limit,
        6,
        None,
    )


def test_paging_through_the_listing_visits_each_symbol_once(client: Client) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = client.get("/v1/symbols", params={"limit": 4, "offset": offset}).json()
        seen += [item["symbol"] for item in page["items"]]
        offset += page["limit"]
        if offset >= page["total"]:
            break
    assert seen == SYMBOLS


# Query integers as the reference (pydantic) reads them: these spellings are integers.
@pytest.mark.parametrize(
    ("text", "limit"),
    [("2.0", 2), ("+2", 2), ("1_0", 10), (" 2", 2), ("002", 2)],
)
def test_integer_spellings(client: Client, text: str, limit: int) -> None:
    page = client.get("/v1/symbols", params={"limit": text}).json()
    assert page["limit"] == limit


def test_the_last_of_a_repeated_parameter_counts(client: Client) -> None:
    page = client.get("/v1/symbols", params=[("limit", "2"), ("limit", "3")]).json()
    assert page["limit"] == 3


BAD_PAGES: list[tuple[dict[str, str], list[tuple[list[Any], str]]]] = [
    ({"limit": "0"}, [(["query", "limit"], "greater_than_equal")]),
    ({"limit": "1001"}, [(["query", "limit"], "less_than_equal")]),
    ({"offset": "-1"}, [(["query", "offset"], "greater_than_equal")]),
    ({"offset": "1000000001"}, [(["query", "offset"], "less_than_equal")]),
    ({"limit": "2.5"}, [(["query", "limit"], "int_parsing")]),
    ({"limit": "0x10"}, [(["query", "limit"], "int_parsing")]),
    ({"limit": ""}, [(["query", "limit"], "int_parsing")]),
    (
        {"limit": "abc", "offset": "-5"},
        [(["query", "limit"], "int_parsing"), (["query", "offset"], "greater_than_equal")],
    ),
]


@pytest.mark.parametrize(
    ("params", "errors"),
    BAD_PAGES,
    ids=[
        "limit-0",
        "limit-1001",
        "offset-negative",
        "offset-huge",
        "fraction",
        "hex",
        "empty",
        "both",
    ],
)
def test_bad_paging_is_a_422_locating_it(
    client: Client, params: dict[str, str], errors: list[tuple[list[Any], str]]
) -> None:
    validation_problem(client.get("/v1/symbols", params=params), errors)


@pytest.mark.uses("POST /v1/trades")
def test_the_last_trade_of_a_symbol(client: Client, trade_id: str) -> None:
    # A trade of a moment ago is later than any other case's (they trade years back).
    executed = (datetime.now(UTC) - timedelta(seconds=1)).replace(microsecond=250000)
    sent = {
        "client_trade_id": trade_id,
        "symbol": "BRK.B",
        "size": "3",
        "price": "412.5",
        "executed_at": executed.isoformat(),
    }
    assert client.post("/v1/trades", json=sent).status_code == 201
    (item,) = client.get("/v1/symbols", params={"limit": 1, "offset": 2}).json()["items"]
    assert item == {
        "symbol": "BRK.B",
        "description": "Berkshire Hathaway Inc. class B",
        "last_price": "412.50000000",
        "last_trade_at": executed.strftime("%Y-%m-%dT%H:%M:%S.250000Z"),
    }
