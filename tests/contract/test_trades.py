"""POST /v1/trades and /v1/trades/batch (docs/analytics.md): idempotent on the client
trade ID, 409 on another trade under a used ID, batches all or none, every refusal a
problem locating each bad field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contract_support import PROBLEM_TYPE, assert_problem, validation_problem
from httpx import Client

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
JSON = {"content-type": "application/json"}
TRADES = pytest.mark.uses("POST /v1/trades")
BATCHES = pytest.mark.uses("POST /v1/trades/batch")
# Cases that read back what was stored.
STATS = pytest.mark.uses("GET /v1/symbols/{symbol}/stats")


def at(day: datetime, hours: float = 14.5) -> str:
    return (day + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def trade(client_trade_id: str, day: datetime, /, **changes: Any) -> dict[str, Any]:
    return {
        "client_trade_id": client_trade_id,
        "symbol": "AAPL",
        "size": "100",
        "price": "187.25",
        "executed_at": at(day),
    } | changes


def stored_count(client: Client, day: datetime, symbol: str = "AAPL") -> int:
    answer = client.get(
        f"/v1/symbols/{symbol}/stats",
        params={"start": at(day, 0), "end": at(day, 24)},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["trade_count"]


def assert_stored(answer_trade: dict[str, Any], sent: dict[str, Any]) -> None:
    assert set(answer_trade) == {
        "client_trade_id", "symbol", "size", "price", "executed_at", "id", "received_at"
    }  # fmt: skip
    assert answer_trade["client_trade_id"] == sent["client_trade_id"]
    assert answer_trade["symbol"] == sent["symbol"]
    assert isinstance(answer_trade["id"], int)
    assert answer_trade["id"] > 0
    assert TIMESTAMP.match(answer_trade["received_at"]), answer_trade


@TRADES
def test_a_trade_is_recorded(client: Client, trade_id: str, day: datetime) -> None:
    sent = trade(trade_id, day)
    answer = client.post("/v1/trades", json=sent)
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    assert_stored(stored, sent)
    # Numbers at the column's scale, times in UTC with Z.
    assert stored["size"] == "100.000000"
    assert stored["price"] == "187.25000000"
    assert stored["executed_at"] == at(day)


@TRADES
def test_numbers_and_offsets_are_normalised(client: Client, trade_id: str, day: datetime) -> None:
    sent = trade(
        trade_id,
        day,
        size=12.5,
        price=0.5,
        executed_at=(day + timedelta(hours=14)).strftime("%Y-%m-%dT%H:%M:%S+02:00"),
    )
    stored = client.post("/v1/trades", json=sent).json()
    assert (stored["size"], stored["price"]) == ("12.500000", "0.50000000")
    assert stored["executed_at"] == at(day, 12)


@TRADES
def test_a_replay_gets_the_same_answer(client: Client, trade_id: str, day: datetime) -> None:
    # docs/analytics.md: "Sending it again answers the same and stores nothing new".
    first = client.post("/v1/trades", json=trade(trade_id, day))
    again = client.post("/v1/trades", json=trade(trade_id, day))
    assert first.status_code == 201, first.text
    assert again.status_code == first.status_code
    assert again.json() == first.json()


@TRADES
@STATS
def test_a_replay_may_spell_the_same_values_differently(
    client: Client, trade_id: str, day: datetime
) -> None:
    first = client.post("/v1/trades", json=trade(trade_id, day)).json()
    respelled = trade(
        trade_id,
        day,
        size=100,
        price="187.250",
        executed_at=(day + timedelta(hours=16, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S+02:00"),
    )
    again = client.post("/v1/trades", json=respelled)
    assert again.status_code == 201, again.text
    assert again.json() == first
    assert stored_count(client, day) == 1


@TRADES
@STATS
@pytest.mark.parametrize("field", ["symbol", "size", "price", "executed_at"])
def test_the_same_id_with_other_content_is_a_409(
    client: Client, trade_id: str, day: datetime, field: str
) -> None:
    assert client.post("/v1/trades", json=trade(trade_id, day)).status_code == 201
    other = {"symbol": "MSFT", "size": "101", "price": "187.26", "executed_at": at(day, 15)}
    answer = client.post("/v1/trades", json=trade(trade_id, day, **{field: other[field]}))
    assert_problem(
        answer,
        409,
        PROBLEM_TYPE + "trade-id-conflict",
        title="Client trade ID already used",
        errors=[(["body", "client_trade_id"], "conflict")],
    )
    assert stored_count(client, day) == 1
    assert stored_count(client, day, "MSFT") == 0


NOW = datetime.now(UTC)

# Each bad value, and the error type the reference (pydantic, servicekit.DecimalAmount)
# gives it.
BAD_FIELDS = [
    ("symbol", "aapl", "string_pattern_mismatch"),
    ("symbol", "1AAPL", "string_pattern_mismatch"),
    ("symbol", "ABCDEFGHIJKLM", "string_pattern_mismatch"),
    ("symbol", 5, "string_type"),
    ("size", 0, "greater_than"),
    ("size", -1, "greater_than"),
    ("size", "-1", "decimal_string"),
    ("size", "1.0000001", "decimal_string"),
    ("size", "1e3", "decimal_string"),
    ("size", " 1", "decimal_string"),
    ("size", "1000000000000", "decimal_string"),
    ("size", 1.5e-7, "decimal_max_places"),
    ("size", 1e15, "decimal_number_too_large"),
    ("size", True, "decimal_type"),
    ("size", None, "decimal_type"),
    ("price", 0, "greater_than"),
    ("price", "abc", "decimal_string"),
    ("price", "0.000000001", "decimal_string"),
    ("price", 12345678901.5, "decimal_number_too_large"),
    ("executed_at", "2026-01-05T14:30:00", "value_error"),
    ("executed_at", "2026-01-05", "value_error"),
    ("executed_at", "1999-12-31T23:59:59Z", "value_error"),
    ("executed_at", (NOW + timedelta(minutes=5)).isoformat(), "value_error"),
    ("executed_at", "0001-01-01T00:00:00+01:00", "value_error"),
    ("executed_at", "yesterday", "datetime_from_date_parsing"),
    # An ISO 8601 string with a time zone (docs/analytics.md): never Unix time, which
    # pydantic would read from a number or a string of one.
    ("executed_at", 1294317000, "timestamp_type"),
    ("executed_at", 1294317000.5, "timestamp_type"),
    ("executed_at", "1294317000", "timestamp_type"),
    ("client_trade_id", "", "string_pattern_mismatch"),
    ("client_trade_id", "a b", "string_pattern_mismatch"),
    ("client_trade_id", "-leading-dash", "string_pattern_mismatch"),
    ("client_trade_id", "x" * 129, "string_pattern_mismatch"),
    ("client_trade_id", 7, "string_type"),
]


@TRADES
@pytest.mark.parametrize(
    ("field", "value", "error"),
    BAD_FIELDS,
    ids=[f"{field}={value!r}"[:40] for field, value, _ in BAD_FIELDS],
)
def test_a_bad_field_is_a_422_locating_it(
    client: Client, trade_id: str, day: datetime, field: str, value: Any, error: str
) -> None:
    answer = client.post("/v1/trades", json=trade(trade_id, day, **{field: value}))
    validation_problem(answer, [(["body", field], error)])


@TRADES
def test_every_bad_field_is_named_in_order(client: Client, trade_id: str, day: datetime) -> None:
    # docs/analytics.md's example: a negative size and a time without a time zone.
    sent = trade(trade_id, day, size="-5", executed_at="2026-01-05T15:20:00")
    validation_problem(
        client.post("/v1/trades", json=sent),
        [(["body", "size"], "decimal_string"), (["body", "executed_at"], "value_error")],
    )


@TRADES
@pytest.mark.parametrize("field", ["client_trade_id", "symbol", "size", "price", "executed_at"])
def test_a_missing_field_is_named(client: Client, trade_id: str, day: datetime, field: str) -> None:
    sent = trade(trade_id, day)
    del sent[field]
    validation_problem(client.post("/v1/trades", json=sent), [(["body", field], "missing")])


@TRADES
@pytest.mark.parametrize(
    "body", [b"[]", b'"a trade"', b"42", b"null"], ids=["array", "string", "number", "null"]
)
def test_a_body_that_is_not_an_object_is_a_422(client: Client, body: bytes) -> None:
    answer = client.post("/v1/trades", content=body, headers=JSON)
    validation_problem(answer, [(["body"], "model_attributes_type")])


@TRADES
def test_a_missing_body_is_a_422(client: Client) -> None:
    validation_problem(client.post("/v1/trades", headers=JSON), [(["body"], "missing")])


@TRADES
def test_an_unknown_symbol_is_a_422(client: Client, trade_id: str, day: datetime) -> None:
    answer = client.post("/v1/trades", json=trade(trade_id, day, symbol="ZZZZ"))
    assert_problem(
        answer,
        422,
        PROBLEM_TYPE + "unknown-symbol",
        title="Unknown symbol",
        errors=[(["body", "symbol"], "unknown_symbol")],
    )


@TRADES
def test_a_trade_a_few_seconds_ahead_is_accepted(client: Client, trade_id: str) -> None:
    # Clocks drift: up to a minute ahead is allowed.
    ahead = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
    answer = client.post("/v1/trades", json=trade(trade_id, NOW, executed_at=ahead))
    assert answer.status_code == 201, answer.text


# Batches


@BATCHES
def test_a_batch_is_recorded_in_the_order_sent(
    client: Client, trade_id: str, day: datetime
) -> None:
    # Sent out of ID order: stored in ID order (docs/analytics.md), answered as sent.
    sent = [
        trade(f"{trade_id}-c", day, price="101"),
        trade(f"{trade_id}-a", day, price="102", symbol="MSFT"),
        trade(f"{trade_id}-b", day, price="103", executed_at=at(day, 15)),
    ]
    answer = client.post("/v1/trades/batch", json={"trades": sent})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"trades"}
    assert len(body["trades"]) == 3
    for stored, one in zip(body["trades"], sent, strict=True):
        assert_stored(stored, one)
    assert [t["price"] for t in body["trades"]] == ["101.00000000", "102.00000000", "103.00000000"]


@BATCHES
def test_a_batch_replay_gets_the_same_answer(client: Client, trade_id: str, day: datetime) -> None:
    sent = {"trades": [trade(f"{trade_id}-{i}", day, price=f"{100 + i}") for i in range(3)]}
    first = client.post("/v1/trades/batch", json=sent)
    again = client.post("/v1/trades/batch", json=sent)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()


@BATCHES
@TRADES
def test_a_batch_may_hold_trades_already_recorded(
    client: Client, trade_id: str, day: datetime
) -> None:
    single = client.post("/v1/trades", json=trade(f"{trade_id}-0", day)).json()
    sent = {"trades": [trade(f"{trade_id}-1", day), trade(f"{trade_id}-0", day)]}
    answer = client.post("/v1/trades/batch", json=sent)
    assert answer.status_code == 201, answer.text
    assert answer.json()["trades"][1] == single


@BATCHES
@STATS
def test_a_batch_repeating_a_trade_stores_it_once(
    client: Client, trade_id: str, day: datetime
) -> None:
    sent = {"trades": [trade(trade_id, day), trade(trade_id, day)]}
    answer = client.post("/v1/trades/batch", json=sent)
    assert answer.status_code == 201, answer.text
    first, second = answer.json()["trades"]
    assert first == second
    assert stored_count(client, day) == 1


@BATCHES
@STATS
def test_a_batch_with_bad_trades_stores_nothing(
    client: Client, trade_id: str, day: datetime
) -> None:
    sent = [
        trade(f"{trade_id}-0", day),
        trade(f"{trade_id}-1", day, size=0),
        trade(f"{trade_id}-2", day),
        trade(f"{trade_id}-3", day, symbol="x", price="-1"),
    ]
    answer = client.post("/v1/trades/batch", json={"trades": sent})
    validation_problem(
        answer,
        [
            (["body", "trades", 1, "size"], "greater_than"),
            (["body", "trades", 3, "symbol"], "string_pattern_mismatch"),
            (["body", "trades", 3, "price"], "decimal_string"),
        ],
    )
    assert stored_count(client, day) == 0


@BATCHES
@STATS
def test_a_batch_with_unknown_symbols_stores_nothing(
    client: Client, trade_id: str, day: datetime
) -> None:
    sent = [
        trade(f"{trade_id}-0", day),
        trade(f"{trade_id}-1", day, symbol="NOPE"),
        trade(f"{trade_id}-2", day, symbol="ZZ.A"),
    ]
    answer = client.post("/v1/trades/batch", json={"trades": sent})
    assert_problem(
        answer,
        422,
        PROBLEM_TYPE + "unknown-symbol",
        title="Unknown symbol",
        errors=[
            (["body", "trades", 1, "symbol"], "unknown_symbol"),
            (["body", "trades", 2, "symbol"], "unknown_symbol"),
        ],
    )
    assert stored_count(client, day) == 0


@BATCHES
@TRADES
@STATS
def test_a_batch_conflict_stores_nothing(client: Client, trade_id: str, day: datetime) -> None:
    assert client.post("/v1/trades", json=trade(f"{trade_id}-1", day)).status_code == 201
    sent = [
        trade(f"{trade_id}-0", day),
        trade(f"{trade_id}-1", day, size="7"),  # another trade under a recorded ID
        trade(f"{trade_id}-2", day),
        trade(f"{trade_id}-0", day, price="1"),  # another trade under an ID of this batch
    ]
    answer = client.post("/v1/trades/batch", json={"trades": sent})
    assert_problem(
        answer,
        409,
        PROBLEM_TYPE + "trade-id-conflict",
        title="Client trade ID already used",
        errors=[
            (["body", "trades", 1, "client_trade_id"], "conflict"),
            (["body", "trades", 3, "client_trade_id"], "conflict"),
        ],
    )
    assert stored_count(client, day) == 1


@BATCHES
@pytest.mark.parametrize(("count", "error"), [(0, "too_short"), (1001, "too_long")])
def test_a_batch_holds_1_to_1000_trades(
    client: Client, trade_id: str, day: datetime, count: int, error: str
) -> None:
    sent = {"trades": [trade(f"{trade_id}-{i}", day) for i in range(count)]}
    validation_problem(client.post("/v1/trades/batch", json=sent), [(["body", "trades"], error)])


@BATCHES
def test_the_largest_batch_is_recorded(client: Client, trade_id: str, day: datetime) -> None:
    sent = {"trades": [trade(f"{trade_id}-{i:04}", day) for i in range(1000)]}
    answer = client.post("/v1/trades/batch", json=sent)
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["trades"]) == 1000


@BATCHES
@pytest.mark.parametrize(
    ("body", "error"),
    [({}, "missing"), ({"trades": "x"}, "list_type"), ({"trades": {}}, "list_type")],
    ids=["missing", "string", "object"],
)
def test_a_batch_needs_a_list_of_trades(client: Client, body: Any, error: str) -> None:
    validation_problem(client.post("/v1/trades/batch", json=body), [(["body", "trades"], error)])
