"""JSON request bodies as RFC 8259 defines them.

FastAPI parses a route's JSON body with Python's ``json`` module, which also reads
``NaN``, ``Infinity`` and ``-Infinity``: not JSON (RFC 8259 section 6), and numbers no
other JSON parser gives a client. They reached validation as floats, a 422 at best (and a
``float`` or ``Any`` field took them).

``JsonBodyMiddleware`` watches the body of each request to an operation that takes JSON
as the app reads it: a body with NaN or Infinity outside a string fails to read with a
``json.JSONDecodeError`` at the character where it starts, which FastAPI answers as it
answers every other syntax error (servicekit: the 400 malformed-json problem, located).

Which operations take JSON is what the OpenAPI document publishes (a ``requestBody``
with ``application/json`` content), as the rate limit finds route templates: routes left
out of the document, and bodies of other routes, which the app never parses, are left
alone. An ordinary body costs two substring searches per chunk as it passes; only a body
that has ``NaN`` or ``Infinity`` somewhere (in a string, say) is parsed to see where. A
dependency after FastAPI's parse would be simpler, but FastAPI solving one more
dependency costs every request more than this whole check (bench/servicekit overhead).
"""

from __future__ import annotations

import email.message
import functools
import json
import re
from collections.abc import Iterable
from typing import Any, Final

from fastapi import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import PROBLEM_TYPE, malformed_json_problem, problem_response
from servicekit.routes import ROUTE_TEMPLATE, RouteTemplates

JSON_MEDIA_TYPE: Final = "application/json"
# A JSON string, or one of Python's extra constants where a value may start. In text
# Python's parser read (valid JSON apart from these), the first constant outside the
# strings is where a strict parser stops.
_CONSTANT: Final = re.compile(r'"(?:[^"\\]|\\.)*"|(NaN|-?Infinity)', re.DOTALL)
_EDGE: Final = 8  # as long as Infinity: a word split between two chunks is found
_UTF16_BOMS: Final = (b"\xff", b"\xfe")


class NonJsonNumber(json.JSONDecodeError):
    """NaN, Infinity or -Infinity in a body read as JSON. FastAPI's body parsing answers it
    as any JSONDecodeError; servicekit's handler answers it where anything else reads the
    body."""


def non_json_constant(text: str) -> int | None:
    """Where the first NaN, Infinity or -Infinity outside a string starts in ``text``
    (JSON that Python's parser read), or None."""
    for match in _CONSTANT.finditer(text):
        if match.group(1) is not None:
            return match.start()
    return None


def _refusal(body: bytes) -> NonJsonNumber | None:
    """The error a strict parser reports for ``body``, if Python's parser reads it and it
    has NaN or Infinity outside its strings; None for every other body (FastAPI's own
    parse reports other syntax errors, at their place)."""
    text = body.decode(json.detect_encoding(body), "surrogatepass")
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return None
    position = non_json_constant(text)
    if position is None:
        return None
    constant = "NaN" if text.startswith("NaN", position) else "Infinity"
    return NonJsonNumber(f"{constant} is not a JSON number (RFC 8259)", text, position)


@functools.lru_cache(maxsize=64)
def is_json(content_type: str) -> bool:
    """FastAPI's test for the bodies it parses as JSON: ``application/json`` or
    ``application/*+json``, parameters aside. (email's parser is slow, and clients send
    the same few types: each is parsed once.)"""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _json_operations(paths: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(route template, METHOD) of each operation whose request body is JSON: the media
    types it takes."""
    operations = {}
    for template, item in paths.items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            media_types = list(operation.get("requestBody", {}).get("content", {}))
            if any(is_json(media_type) for media_type in media_types):
                operations[(template, method.upper())] = media_types
    return operations


def _strictly(receive: Receive) -> Receive:
    """``receive``, with the body checked as it passes (module docstring)."""
    chunks: list[bytes] = []
    suspect = False
    edge = b""

    async def strict_receive() -> Message:
        nonlocal suspect, edge
        message = await receive()
        if message["type"] != "http.request":
            return message
        body = message.get("body", b"")
        if body:
            if not chunks and (b"\x00" in body[:4] or body[:1] in _UTF16_BOMS):
                suspect = True  # UTF-16 or 32 (RFC 4627): the words are not these bytes
            chunks.append(body)
            if not suspect:
                seam = edge + body[:_EDGE]
                suspect = (
                    b"NaN" in body or b"Infinity" in body or b"NaN" in seam or b"Infinity" in seam
                )
                edge = body[-_EDGE:] if len(body) >= _EDGE else (edge + body)[-_EDGE:]
        if suspect and not message.get("more_body", False):
            refusal = _refusal(b"".join(chunks))
            if refusal is not None:
                raise refusal
        return message

    return strict_receive


def _headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, bool]:
    """The request's content type, and whether it says a body follows."""
    content_type = None
    has_body = False
    for name, value in headers:
        if name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"content-length":
            has_body = value.strip() not in (b"0", b"")
        elif name == b"transfer-encoding":
            has_body = True
    return content_type, has_body


class JsonBodyMiddleware:
    """For each operation whose request body is JSON (in the OpenAPI document):

    - a body with NaN or Infinity outside its strings fails to read, as malformed JSON;
    - a body in another media type is refused with a 415 problem
      (``urn:fastapi-rules:problem:unsupported-media-type``) naming the media type to
      send, before it is read. FastAPI would pass its bytes to validation, whose 422 says
      only that the body is not an object. (A body without a type is left to FastAPI,
      which parses it or not as the route's ``strict_content_type`` says.)

    Other requests pass untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.templates = RouteTemplates()
        self._operations: dict[tuple[str, str], list[str]] | None = None
        self._methods: frozenset[str] = frozenset()

    def _operation(self, scope: Scope) -> tuple[str, list[str]] | None:
        if self._operations is None:
            self._operations = _json_operations(scope["app"].openapi().get("paths", {}))
            self._methods = frozenset(method for _, method in self._operations)
        if scope["method"] not in self._methods:
            return None
        template = self.templates.find(scope)
        media_types = self._operations.get((template, scope["method"])) if template else None
        return None if media_types is None or template is None else (template, media_types)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation = self._operation(scope)
        if operation is None:
            await self.app(scope, receive, send)
            return
        content_type, has_body = _headers(scope["headers"])
        # Without a type, FastAPI parses as the route says (strict_content_type): checked
        # all the same, in case it does.
        if content_type is None or is_json(content_type):
            await self.app(scope, _strictly(receive), send)
        elif has_body:
            template, media_types = operation
            await _unsupported(scope, template, content_type, media_types)(scope, receive, send)
        else:
            await self.app(scope, receive, send)  # no body: validation says it is missing


def _unsupported(
    scope: Scope, template: str, content_type: str, media_types: list[str]
) -> JSONResponse:
    # Refused before routing: logged and counted under the route asked for.
    scope[ROUTE_TEMPLATE] = template
    wanted = " or ".join(media_types)
    sent = content_type.split(";")[0].strip()
    return problem_response(
        415,
        title="Unsupported media type",
        detail=f"Send the body as {wanted}, not {sent}.",
        problem_type=PROBLEM_TYPE + "unsupported-media-type",
        instance=scope["path"],
        # RFC 9110 15.5.16: what the operation takes instead (Accept-Post, RFC 5023's
        # registration, says so for POST).
        headers={"Accept-Post": ", ".join(media_types)} if scope["method"] == "POST" else None,
    )


async def non_json_number(request: Request, exc: Exception) -> JSONResponse:
    """A NonJsonNumber that reached the app's handlers: a body read outside FastAPI's
    parsing (a handler's own ``request.body()``)."""
    assert isinstance(exc, NonJsonNumber)
    return malformed_json_problem(request.url.path, exc.pos)
