"""Pure ASGI middleware: no BaseHTTPMiddleware, whose per-request task and body
streaming cost a large share of throughput.

CORS comes from Starlette; request IDs and metrics have their own modules (see there why
they are not libraries); what is here has no library equivalent: the access line in the platform's
log format, body limits that answer problem+json, and rate limiting per client and route
template on top of the ``limits`` package."""

from __future__ import annotations

import re
import time

from limits import parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import PROBLEM_TYPE, problem_response
from servicekit.logs import get_logger

access_log = get_logger("servicekit.access")


def route_template(scope: Scope) -> str | None:
    """The path template of the route that handled ``scope``, e.g. ``/orders/{order_id}``;
    known once the router has run."""
    return getattr(scope.get("route"), "path", None)


class RouteTemplates:
    """Finds a request's route template before routing, from the app's OpenAPI paths.

    Rate limits are counted per route template, and must be counted before the route runs.
    The OpenAPI document is the public list of templates, so no router internals are used.
    """

    CACHE_SIZE = 4096

    def __init__(self) -> None:
        self._patterns: list[tuple[re.Pattern[str], str]] | None = None
        self._cache: dict[str, str | None] = {}

    def find(self, scope: Scope) -> str | None:
        path = scope["path"]
        if path in self._cache:
            return self._cache[path]
        if self._patterns is None:
            paths = scope["app"].openapi().get("paths", {})
            self._patterns = [(compile_path(template)[0], template) for template in paths]
        template = next((t for pattern, t in self._patterns if pattern.match(path)), None)
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()  # paths with IDs in them are endless; hot ones come back
        self._cache[path] = template
        return template


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class AccessLogMiddleware:
    """One log line per request: method, route template, status, duration, client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            access_log.info(
                "request",
                method=scope["method"],
                route=route_template(scope) or "unmatched",
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                client=client_address(scope),
            )


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with a 413 problem, whether the length is
    declared or the body is streamed. (FastAPI's own ``max_body_size`` answers a declared
    oversize with text/plain, and every error here is problem+json.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return

        received = 0
        response_started = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not response_started:
                    # Answer now and tell the app the client has gone: raising here would
                    # reach FastAPI's body parser, which turns any error into a 400.
                    refused = True
                    await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the 413 has been sent
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            detail=f"Request bodies are limited to {self.max_bytes} bytes.",
            problem_type=PROBLEM_TYPE + "body-too-large",
            instance=scope["path"],
        )
        await response(scope, receive, send)


class RateLimitMiddleware:
    """Limits requests per client and route template, sliding window (constant work per
    request, unlike a moving window's log of every hit).

    Storage is whatever ``limits`` supports: ``memory://`` per process by default, or a
    shared ``redis://host:6379`` so that all replicas count together. Responses carry
    ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``; refusals are 429
    problems with ``Retry-After``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: str,
        storage_url: str = "memory://",
        per_route: dict[str, str] | None = None,
        exempt: tuple[str, ...] = ("/health/live", "/health/ready", "/metrics"),
    ) -> None:
        self.app = app
        self.default = parse(default)
        self.per_route = {route: parse(limit) for route, limit in (per_route or {}).items()}
        self.exempt = exempt
        self.limiter = SlidingWindowCounterRateLimiter(storage_from_string("async+" + storage_url))
        self.templates = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        route = self.templates.find(scope) or "unmatched"
        limit = self.per_route.get(route, self.default)
        client = client_address(scope)
        allowed = await self.limiter.hit(limit, client, route)
        stats = await self.limiter.get_window_stats(limit, client, route)
        reset = max(0, int(stats.reset_time - time.time() + 0.999))
        headers = {
            "RateLimit-Limit": str(limit.amount),
            "RateLimit-Remaining": str(stats.remaining),
            "RateLimit-Reset": str(reset),
        }
        if not allowed:
            response = problem_response(
                429,
                detail=f"More than {limit.amount} requests per {limit.get_expiry()} s on {route}.",
                problem_type=PROBLEM_TYPE + "rate-limited",
                instance=scope["path"],
                headers={**headers, "Retry-After": str(max(reset, 1))},
            )
            await response(scope, receive, send)
            return

        encoded = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *encoded]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
