"""Every error as RFC 9457 ``application/problem+json``, never a stack trace."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from servicekit.logs import get_logger
from servicekit.models import PROBLEM_MEDIA_TYPE, FieldError, Problem
from servicekit.request_id import request_id as current_request_id

PROBLEM_TYPE = "urn:fastapi-rules:problem:"
log = get_logger("servicekit.errors")


def problem_response(
    status: int,
    *,
    detail: str | None = None,
    title: str | None = None,
    problem_type: str = "about:blank",
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    request_id = current_request_id.get()
    problem = Problem(
        type=problem_type,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


class ProblemError(Exception):
    """Raised anywhere in a request (a dependency, a handler) to answer with this problem:
    for refusals that need their own ``type`` and headers, such as 401 and 403."""

    def __init__(
        self,
        status: int,
        *,
        detail: str,
        problem_type: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problem_type = problem_type
        self.title = title
        self.headers = headers


async def _problem_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        detail=exc.detail,
        title=exc.title,
        problem_type=exc.problem_type,
        instance=request.url.path,
        headers=exc.headers,
    )


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    if exc.status_code == 404 and detail is None:
        detail = f"No resource at {request.url.path}"
    if exc.status_code == 405 and detail is None:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(
        exc.status_code,
        detail=str(detail) if detail is not None else None,
        instance=request.url.path,
        headers=dict(exc.headers or {}),
    )


def _location(loc: tuple[Any, ...]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def _malformed_json(path: str, errors: list[FieldError]) -> JSONResponse:
    return problem_response(
        400,
        title="Malformed JSON body",
        detail="The request body is not valid JSON.",
        problem_type=PROBLEM_TYPE + "malformed-json",
        instance=path,
        errors=errors,
    )


def malformed_json_problem(path: str, position: int) -> JSONResponse:
    """The 400 of a body that is not JSON from the character at ``position``, as FastAPI's
    body parsing reports it."""
    error = FieldError(
        location=["body", position], message="JSON decode error", type="json_invalid"
    )
    return _malformed_json(path, [error])


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(location=_location(e["loc"]), message=e["msg"], type=e["type"])
        for e in exc.errors()
    ]
    if any(e.type == "json_invalid" for e in errors):
        return _malformed_json(request.url.path, errors)
    return validation_problem(request, errors)


async def unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled exception", path=request.url.path, exc_info=exc)
    request_id = current_request_id.get()
    return problem_response(
        500,
        detail="The server failed to handle this request; quote the request ID when reporting it.",
        instance=request.url.path,
        # This response leaves outside the request-ID middleware, which would add the header.
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, unhandled_error)


def problem_schema(description: str) -> dict[str, Any]:
    """An OpenAPI response declaration of a problem+json answer, for `responses=`."""
    return {"description": description, "model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}


def validation_problem(request: Request, errors: list[FieldError]) -> JSONResponse:
    """The 422 a service answers for input it refuses after FastAPI's own validation (an
    unknown reference, an inconsistent range), shaped as FastAPI's validation errors are."""
    return problem_response(
        422,
        title="Invalid request",
        detail=f"{len(errors)} field(s) failed validation.",
        problem_type=PROBLEM_TYPE + "validation",
        instance=request.url.path,
        errors=errors,
    )


# Declared on every route, so clients generated from the OpenAPI document know them.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_schema("Malformed request, e.g. a body that is not JSON"),
    413: problem_schema("Request body larger than the service accepts"),
    415: problem_schema("Request body in another media type than the operation takes"),
    422: problem_schema("Request failed validation; `errors` lists each field"),
    429: problem_schema("Rate limit exceeded; retry after `Retry-After` seconds"),
    500: problem_schema("Unexpected server error; quote `request_id` when reporting it"),
}
