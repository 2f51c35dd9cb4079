"""Pydantic models shared by every service's API."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, PydanticKnownError, core_schema

PROBLEM_MEDIA_TYPE = "application/problem+json"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps need a time zone, e.g. 2026-01-01T00:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is before datetime.min in UTC: a bad input (422), which
        # pydantic reports only for ValueError; an OverflowError would be a 500.
        raise ValueError("timestamp out of range once converted to UTC") from None


# A number, or a string that is one: pydantic reads both as Unix time.
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_TIMESTAMP_RULE = (
    "Input should be an ISO 8601 date and time with a time zone, e.g. 2026-01-01T00:00:00Z, "
    "not a number (Unix time)"
)


def _not_unix_time(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # pydantic's own datetime_type
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("latin-1")
    else:
        text = value if isinstance(value, str) else None
    if isinstance(value, int | float | Decimal) or (text is not None and _NUMBER.fullmatch(text)):
        raise PydanticCustomError("timestamp_type", _TIMESTAMP_RULE)
    return value


Timestamp = Annotated[datetime, BeforeValidator(_not_unix_time), AfterValidator(_aware)]
"""A date and time as ISO 8601 text with a time zone (JSON Schema's ``date-time``),
normalized to UTC. Refused with a 422: without a time zone (``value_error``), and numbers
or numeric strings, which pydantic would read as Unix time (``timestamp_type``)."""

ResourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]
"""An identifier safe in URLs and logs: letters, digits and ``_.:-``, at most 128."""


# Decimal digits that every double holds exactly: a JSON number with at most this many
# significant digits survives the JSON parser's float (FastAPI's json.loads) unchanged.
_EXACT_FLOAT_DIGITS = 15


def _any_digits(count: int) -> str:
    return f"[0-9]{{0,{count}}}" if count > 0 else ""


@dataclass(frozen=True)
class DecimalAmount:
    """A decimal with at most ``max_digits`` digits, ``decimal_places`` of them after the
    point, and above zero unless ``positive=False``; use as
    ``Annotated[Decimal, DecimalAmount(18, 8)]`` (or the ready ``Price`` and ``Quantity``).

    pydantic's ``max_digits``/``decimal_places`` do not appear in the OpenAPI document, so
    clients could send values the document allows and get a 422. This type publishes its
    rules in JSON Schema terms and validates exactly those:

    - a JSON number: ``multipleOf`` 10^-places and bounds, below 10^(15 - places) at most
      so that the parser's float keeps every digit (larger values go as strings);
    - a string: plain digits matching ``pattern`` (no sign unless signed, no exponent, no
      spaces), up to the full ``max_digits``.

    Values come out in fixed-point form, and serialize to JSON as such strings.
    """

    max_digits: int
    decimal_places: int
    positive: bool = True

    def __post_init__(self) -> None:
        if self.max_digits < 1 or not 0 <= self.decimal_places <= self.max_digits:
            raise ValueError(
                "DecimalAmount needs max_digits >= 1 and 0 <= decimal_places <= max_digits"
            )

    @property
    def _whole_digits(self) -> int:
        return self.max_digits - self.decimal_places

    @property
    def string_limit(self) -> Decimal:
        """Exclusive bound of the magnitude of strings (and of Decimal objects)."""
        return Decimal(10) ** self._whole_digits

    @property
    def number_limit(self) -> Decimal:
        """Exclusive bound of the magnitude of JSON numbers."""
        return Decimal(10) ** min(self._whole_digits, _EXACT_FLOAT_DIGITS - self.decimal_places)

    @property
    def pattern(self) -> str:
        """The strings accepted, in the subset of regular expressions JSON Schema advises
        (no lookahead), the same in ECMA 262, Python and Rust."""
        whole, places = self._whole_digits, self.decimal_places
        fraction = f"(\\.[0-9]{{1,{places}}})?" if places else ""
        nonzero_whole = f"[1-9]{_any_digits(whole - 1)}" if whole else ""
        if not self.positive:
            integer = f"(0|{nonzero_whole})" if whole else "0"
            return f"^-?{integer}{fraction}$"
        options = [nonzero_whole + fraction] if whole else []
        if places:
            # 0.x with a non-zero digit among at most `places`: one option per leading zeros.
            small = "|".join(
                "0" * zeros + "[1-9]" + _any_digits(places - 1 - zeros) for zeros in range(places)
            )
            options.append(f"0\\.({small})")
        return "^(" + "|".join(options) + ")$"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        regex = re.compile(self.pattern)
        string_rule = (
            f"String should be plain digits such as '{'12.5' if self.decimal_places else '12'}',"
            f" at most {self._whole_digits} before the point and {self.decimal_places} after"
            + (", above zero" if self.positive else "")
        )
        string_limit, number_limit = self.string_limit, self.number_limit

        def validate(value: Any) -> Decimal:
            if isinstance(value, str):
                if regex.fullmatch(value) is None:
                    raise PydanticCustomError("decimal_string", string_rule)
                return Decimal(value)
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                raise PydanticCustomError(
                    "decimal_type", "Input should be a number or a decimal string such as '12.5'"
                )
            if isinstance(value, Decimal):
                if not value.is_finite():
                    raise PydanticKnownError("finite_number")
                number, limit = value, string_limit
            else:
                if isinstance(value, float) and not math.isfinite(value):
                    raise PydanticKnownError("finite_number")
                # repr: the shortest text of the float, i.e. the JSON text it was parsed from.
                number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
                limit = number_limit
            lowest = Decimal(0) if self.positive else -limit
            if number <= lowest:
                raise PydanticKnownError("greater_than", {"gt": _plain(lowest)})
            if number >= limit:
                if limit < string_limit:
                    raise PydanticCustomError(
                        "decimal_number_too_large",
                        "Numbers should be less than {lt}; send larger values as strings",
                        {"lt": _plain(limit)},
                    )
                raise PydanticKnownError("less_than", {"lt": _plain(limit)})
            if _places(number) > self.decimal_places:
                raise PydanticKnownError(
                    "decimal_max_places", {"decimal_places": self.decimal_places}
                )
            return _fixed_point(number, self.decimal_places)

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _plain, when_used="json-unless-none"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        string = {"type": "string", "pattern": self.pattern}
        if handler.mode == "serialization":
            return string
        limit = _json_number(self.number_limit)
        number = {
            "type": "number",
            "exclusiveMinimum": 0 if self.positive else -limit,
            "exclusiveMaximum": limit,
            "multipleOf": _json_number(Decimal(1).scaleb(-self.decimal_places)),
        }
        return {
            "anyOf": [number, string],
            "description": (
                f"A decimal of at most {self.max_digits} digits, {self.decimal_places} after "
                f"the point{', above zero' if self.positive else ''}: a string such as "
                f'"12.5", or a JSON number below {_plain(self.number_limit)} in magnitude.'
            ),
        }


def _places(number: Decimal) -> int:
    """Digits after the point, trailing zeros not counted (1.50 has one); exact for any
    size, unlike normalize(), which rounds to the context's precision."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if not any(digits):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def _fixed_point(number: Decimal, places: int) -> Decimal:
    """The same value written without exponent and with at most ``places`` decimals, so
    that it serializes as a string the pattern accepts (the value has no more places)."""
    whole, _, fraction = format(number, "f").partition(".")
    fraction = fraction[:places]
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


def _plain(number: Decimal) -> str:
    return format(number, "f")


def _json_number(number: Decimal) -> int | float:
    """Exact in JSON: integers as integers, powers of ten below one as their short float."""
    return int(number) if number == number.to_integral_value() else float(number)


Price = Annotated[Decimal, DecimalAmount(max_digits=18, decimal_places=8)]
"""A price above zero: at most 18 digits, 8 of them after the point."""

Quantity = Annotated[Decimal, DecimalAmount(max_digits=18, decimal_places=6)]
"""A quantity above zero: at most 18 digits, 6 of them after the point."""


class FieldError(BaseModel):
    """One invalid input: where it is, what is wrong."""

    location: list[str | int] = Field(description="Path to the field, e.g. ['body', 'quantity'].")
    message: str
    type: str = Field(description="Machine-readable error type, e.g. 'greater_than'.")


class Problem(BaseModel):
    """RFC 9457 problem details, with the request ID and, for bad input, field errors."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class Page[T](BaseModel):
    """One page of a listing, paged by cursor (follow ``next_cursor`` until it is null) or
    by offset (``offset`` and ``limit`` of this page; the next starts at offset + limit)."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor of the next page; null on the last page."
    )
    offset: int | None = Field(default=None, ge=0, description="Offset of this page's first item.")
    limit: int | None = Field(default=None, ge=1, description="Page size asked for.")
    total: int | None = Field(default=None, description="Total items, where cheap to know.")


class CheckResult(BaseModel):
    status: Literal["pass", "fail"]
    duration_ms: float
    detail: str | None = None


class HealthReport(BaseModel):
    """Readiness of the service and of each registered check."""

    status: Literal["pass", "fail"]
    service: str
    version: str
    checks: dict[str, CheckResult] = {}
