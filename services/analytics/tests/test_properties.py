"""Generated trades, from the published schema and near its edges: every answer is a
stored trade or a problem naming fields, never a 500."""

import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from servicekit.testing.schema import request_body_schema

from services.analytics.main import app

SCHEMA = request_body_schema(app.openapi(), "/v1/trades")
# Field by field, as in the template: hypothesis-jsonschema fails on whole object schemas.
FIELDS = SCHEMA["components"]["schemas"]["TradeIn"]["properties"]
# Derandomized, so a result Bazel caches stays true; one client serves every example.
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
ZONES = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60)
)
NEAR_EDGES = st.fixed_dictionaries(
    {
        "client_trade_id": st.sampled_from(["p-1", "p-2", "p-3"]),
        "symbol": st.sampled_from(["AAPL", "MSFT", "BRK.B", "ZZZZ"])
        | from_schema(FIELDS["symbol"]),
        "size": from_schema(FIELDS["size"]),
        "price": from_schema(FIELDS["price"]),
        "executed_at": st.datetimes(
            min_value=datetime(1999, 12, 31),
            max_value=datetime.now() + timedelta(days=2),
            timezones=ZONES,
        ).map(datetime.isoformat),
    }
)
FROM_SCHEMA = st.fixed_dictionaries({name: from_schema(field) for name, field in FIELDS.items()})


async def assert_stored_or_problem(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    answer = await client.post("/v1/trades", content=json.dumps(body))
    assert answer.status_code in (201, 409, 422), (body, answer.text)
    if answer.status_code == 201:
        stored = answer.json()
        assert stored["client_trade_id"] == body["client_trade_id"]
        assert datetime.fromisoformat(stored["executed_at"]).tzinfo is not None
        assert datetime.fromisoformat(stored["executed_at"]) <= datetime.now(UTC) + timedelta(
            minutes=1
        )
        return
    assert answer.headers["content-type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert errors
    assert all(error["location"][0] == "body" for error in errors)


@PROPERTY
@given(body=NEAR_EDGES)
async def test_trades_near_the_edges(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    await assert_stored_or_problem(client, body)


@PROPERTY
@given(body=FROM_SCHEMA)
async def test_trades_from_the_published_schema(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    await assert_stored_or_problem(client, body)
