"""The published schema as a test oracle: does the OpenAPI document allow a JSON text,
and JSON texts of decimal values to try against a service, to check that what the
document allows validates and what it forbids is refused."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator, ValidationError, validators
from pydantic_core import SchemaValidator, core_schema


@functools.cache
def _regex(pattern: str) -> SchemaValidator:
    return SchemaValidator(core_schema.str_schema(pattern=pattern))


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    # JSON Schema patterns are ECMA 262, where "$" is the end of the text. Python's re
    # lets it match before a final newline too; Rust's regex crate (pydantic-core's,
    # reached through a string schema) does not, and agrees with ECMA on this.
    if validator.is_type(instance, "string") and not _regex(pattern).isinstance_python(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


def request_body_schema(openapi: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    """An operation's JSON request body schema, standalone: its ``$ref``s into the
    document's ``components`` resolve within it."""
    operation = openapi["paths"][path][method]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return {**schema, "components": openapi.get("components", {})}


def allows(schema: dict[str, Any], text: str) -> bool:
    """Whether ``schema`` (OpenAPI 3.1, i.e. JSON Schema 2020-12) allows the JSON ``text``.

    Numbers are compared as the decimals they are written as, which is what JSON Schema
    means: with binary floats, ``multipleOf: 1e-8`` misjudges most prices. ``NaN`` and
    ``Infinity``, which Python's parser reads, are not JSON: no schema allows them.
    """
    exact_schema = json.loads(json.dumps(schema), parse_float=Decimal)
    try:
        instance = json.loads(text, parse_float=Decimal, parse_constant=_not_json)
    except ValueError:
        return False
    # Enough precision for the remainder of 1e308 by 1e-8 to be exact.
    with localcontext(prec=1000):
        return _Validator(exact_schema).is_valid(instance)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _number_texts(value: Decimal) -> list[str]:
    return [format(value, "f"), f"{value:E}"]


@st.composite
def _decimals(draw: st.DrawFn) -> Decimal:
    """Decimals of 1 to 20 digits at any scale around the point, either sign."""
    digits = draw(st.lists(st.integers(0, 9), min_size=1, max_size=20))
    return Decimal((draw(st.integers(0, 1)), tuple(digits), draw(st.integers(-24, 14))))


def _as_numbers(value: Decimal) -> st.SearchStrategy[str]:
    # Up to 15 significant digits a JSON number survives a parser's double exactly; the
    # numbers a client's encoder writes from doubles (repr) come from floats() below.
    if len(value.as_tuple().digits) > 15:
        return st.nothing()
    return st.sampled_from(_number_texts(value))


def json_decimals() -> st.SearchStrategy[str]:
    """JSON texts a client might send for a decimal field: numbers as encoders write
    them, decimal strings of every length, sign and form (exponents, spaces, underscores),
    and values of other types."""
    odd_strings = st.sampled_from(
        [" 1", "1 ", "+1", "1_000", "1e3", "1E-8", ".5", "5.", "0x10", "NaN", "Infinity",
         "-0", "00.5", "", "\u0661"]
    )  # fmt: skip
    return st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
        st.integers().map(str),
        _decimals().flatmap(_as_numbers),
        _decimals()
        .flatmap(lambda value: st.sampled_from([format(value, "f"), str(value)]))
        .map(json.dumps),
        st.one_of(odd_strings, st.text(max_size=8)).map(json.dumps),
        st.sampled_from(["true", "false", "null", "[]", "{}", "[1]"]),
    )
