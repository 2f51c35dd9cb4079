"""DecimalAmount (Price, Quantity): the schema it publishes and its validation agree."""

import json
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import TypeAdapter, ValidationError
from servicekit import DecimalAmount, Price, Quantity
from servicekit.testing.schema import allows, json_decimals

AMOUNTS: dict[str, Any] = {
    "price": Price,
    "quantity": Quantity,
    "signed": Annotated[Decimal, DecimalAmount(12, 2, positive=False)],
    "whole": Annotated[Decimal, DecimalAmount(3, 0)],
    "fraction": Annotated[Decimal, DecimalAmount(18, 18)],
}
# Derandomized: the same examples on every run, so a result Bazel caches stays true.
PROPERTY = settings(max_examples=300, deadline=None, database=None, derandomize=True)


def validated(adapter: TypeAdapter[Decimal], text: str) -> Decimal | None:
    """What an endpoint does with a JSON body: json.loads, then pydantic."""
    try:
        return adapter.validate_python(json.loads(text))
    except ValidationError:
        return None


def assert_agreement(kind: str, text: str) -> None:
    adapter = TypeAdapter(AMOUNTS[kind])
    value = validated(adapter, text)
    assert (value is not None) == allows(adapter.json_schema(mode="validation"), text)
    if value is not None:
        assert value == Decimal(json.loads(text, parse_float=Decimal))  # nothing rounded
        dumped = adapter.dump_json(value).decode()
        assert allows(adapter.json_schema(mode="serialization"), dumped), dumped


@pytest.mark.parametrize("kind", AMOUNTS)
@PROPERTY
@given(text=json_decimals())
def test_what_the_schema_allows_validates_and_nothing_else(kind, text):
    assert_agreement(kind, text)


@pytest.mark.parametrize("kind", AMOUNTS)
@PROPERTY
@given(data=st.data())
def test_instances_generated_from_the_schema(kind, data):
    schema = TypeAdapter(AMOUNTS[kind]).json_schema(mode="validation")
    assert_agreement(kind, json.dumps(data.draw(from_schema(schema))))


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("1e-8", Decimal("0.00000001")),
        ('"0.00000001"', Decimal("0.00000001")),
        ("9999999.99999999", Decimal("9999999.99999999")),  # largest number
        ('"9999999999.99999999"', Decimal("9999999999.99999999")),  # largest string
        ("1e3", Decimal(1000)),
        ('"187.250"', Decimal("187.250")),
        ("5e-324", "decimal_max_places"),
        ("1e-9", "decimal_max_places"),
        ('"0.000000001"', "decimal_string"),  # too many places
        ("10000000", "decimal_number_too_large"),  # just above the largest number
        ('"10000000000"', "decimal_string"),  # just above the largest string
        ("0", "greater_than"),
        ("-1", "greater_than"),
        ('"0"', "decimal_string"),
        ('"-1"', "decimal_string"),
        ('"1e3"', "decimal_string"),
        ('"1E-8"', "decimal_string"),
        ('" 1"', "decimal_string"),
        ("true", "decimal_type"),
        ("null", "decimal_type"),
        ("NaN", "finite_number"),  # not JSON, but Python's parser (FastAPI's) reads it
    ],
)
def test_price_edges(sent, expected):
    adapter = TypeAdapter(Price)
    assert allows(adapter.json_schema(mode="validation"), sent) == isinstance(expected, Decimal)
    if isinstance(expected, Decimal):
        assert adapter.validate_python(json.loads(sent)) == expected
        return
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(json.loads(sent))
    assert refused.value.errors()[0]["type"] == expected


def test_serialized_in_fixed_point():
    adapter = TypeAdapter(Price)
    assert adapter.dump_json(adapter.validate_python(1e-8)) == b'"0.00000001"'
    assert adapter.dump_json(adapter.validate_python(Decimal("1E+3"))) == b'"1000"'
    assert adapter.dump_python(Decimal("2.5")) == Decimal("2.5")


@pytest.mark.parametrize(("digits", "places"), [(0, 0), (4, 5), (4, -1)])
def test_impossible_sizes_are_refused(digits, places):
    with pytest.raises(ValueError, match="max_digits"):
        DecimalAmount(digits, places)
