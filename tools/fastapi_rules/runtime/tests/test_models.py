from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError
from servicekit import Page, Problem, ResourceId, Timestamp


class Trade(BaseModel):
    id: ResourceId
    at: Timestamp


def test_timestamps_need_a_zone_and_are_normalized_to_utc():
    trade = Trade(id="T-1", at=datetime(2026, 1, 1, 10, tzinfo=timezone(timedelta(hours=2))))
    assert trade.at == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert trade.at.tzinfo == UTC
    with pytest.raises(ValidationError, match="timestamps need a time zone"):
        Trade(id="T-1", at=datetime(2026, 1, 1, 10))


@pytest.mark.parametrize(
    "value", [1767225600, 1767225600.5, "1767225600", " 1767225600.25 ", "-1", "1e9", 0]
)
def test_timestamps_are_not_unix_time(value):
    # pydantic reads numbers, and strings of them, as Unix time: the rule is a zoned string.
    with pytest.raises(ValidationError) as refused:
        Trade(id="T-1", at=value)
    (error,) = refused.value.errors()
    assert error["type"] == "timestamp_type"
    assert "ISO 8601" in error["msg"]
    assert "Unix time" in error["msg"]


@pytest.mark.parametrize(
    "value",
    ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", "2026-01-01 00:00:00.000+00:00"],
)
def test_timestamps_are_zoned_iso_8601(value):
    assert Trade.model_validate_json(f'{{"id": "T-1", "at": "{value}"}}').at == datetime(
        2026, 1, 1, tzinfo=UTC
    )


def test_the_timestamp_schema_is_a_date_time_string():
    assert Trade.model_json_schema()["properties"]["at"] == {
        "format": "date-time",
        "title": "At",
        "type": "string",
    }


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_timestamps_out_of_range_in_utc_are_validation_errors(text):
    with pytest.raises(ValidationError, match="out of range"):
        Trade(id="T-1", at=text)


@pytest.mark.parametrize("bad", ["", "-leading", "with space", "a/b", "x" * 129])
def test_resource_ids_are_safe_in_urls_and_logs(bad):
    with pytest.raises(ValidationError):
        Trade(id=bad, at=datetime.now(UTC))
    assert Trade(id="EURUSD:2026-01.fx_1", at=datetime.now(UTC)).id == "EURUSD:2026-01.fx_1"


def test_pages_by_cursor_or_offset():
    by_cursor = Page[int](items=[1, 2], next_cursor="abc")
    by_offset = Page[int](items=[3, 4], offset=2, limit=2, total=10)
    assert by_cursor.model_dump(exclude_none=True) == {"items": [1, 2], "next_cursor": "abc"}
    assert by_offset.offset + by_offset.limit == 4
    with pytest.raises(ValidationError):
        Page[int](items=[], offset=-1)
    with pytest.raises(ValidationError):
        Page[int](items=["not an int"])


def test_problem_allows_extension_members():
    problem = Problem(title="Insufficient margin", status=409, balance="12.50")
    assert problem.model_dump(exclude_none=True)["balance"] == "12.50"
