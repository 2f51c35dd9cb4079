"""Pydantic models shared by every service's API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

PROBLEM_MEDIA_TYPE = "application/problem+json"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps need a time zone, e.g. 2026-01-01T00:00:00Z")
    return value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_aware)]
"""A datetime that must carry a time zone; normalized to UTC."""

ResourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]
"""An identifier safe in URLs and logs: letters, digits and ``_.:-``, at most 128."""


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


def utcnow() -> datetime:
    return datetime.now(UTC)
