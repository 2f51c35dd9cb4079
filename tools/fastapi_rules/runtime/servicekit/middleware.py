"""Pure ASGI middleware: no BaseHTTPMiddleware, whose per-request task and body
streaming cost a large share of throughput.

CORS comes from Starlette; request IDs, and access lines with metrics, have their own
modules (see there why they are not libraries); what is here has no library equivalent:
body limits that answer problem+json, and rate limiting per client and route template."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import PROBLEM_TYPE, problem_response
from servicekit.paths import PLATFORM_PATHS

# Scope key under which a middleware that answers before routing (a rate limit or body
# size refusal) leaves the route template it found, so the request is logged and counted
# under its route like a served one.
ROUTE_TEMPLATE = "servicekit.route_template"


def route_template(scope: Scope) -> str | None:
    """The path template of the route that handled ``scope``, e.g. ``/orders/{order_id}``;
    known once the router has run, or once a middleware refused the request by route.

    The template is the one the OpenAPI document publishes (``path_format``: without
    convertors such as ``:int``), which is also what RouteTemplates finds before routing.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template or scope.get(ROUTE_TEMPLATE)


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


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with a 413 problem, whether the length is
    declared or the body is streamed. (FastAPI's own ``max_body_size`` answers a declared
    oversize with text/plain, and every error here is problem+json.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.templates = RouteTemplates()

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
        # A declared length is refused before routing: look the route up for the access
        # line and metrics, on this rare path only.
        if route_template(scope) is None:
            template = self.templates.find(scope)
            if template is not None:
                scope[ROUTE_TEMPLATE] = template
        response = problem_response(
            413,
            detail=f"Request bodies are limited to {self.max_bytes} bytes.",
            problem_type=PROBLEM_TYPE + "body-too-large",
            instance=scope["path"],
        )
        await response(scope, receive, send)


@dataclass
class _Window:
    start: float
    current: int = 0
    previous: int = 0


class MemoryWindows:
    """Sliding-window counters in process memory, the default rate limit store.

    Per key it keeps the counts of the current and the previous fixed window and weighs
    the previous one by the part of it the sliding window still covers: the approximation
    of ``limits``' sliding window counter, with constant work per request. Hand-written
    because ``limits``' in-memory storage measured about 25 us per request here (locks and
    an expiry task), most of the stack's budget; shared stores (Redis) go through ``limits``.
    """

    PRUNE_EVERY = 10_000

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], _Window] = {}
        self._hits = 0

    def hit(self, key: tuple[str, str], limit: RateLimitItem) -> tuple[bool, int, float]:
        """Counts one request; returns (allowed, remaining, seconds until a slot frees)."""
        period = limit.get_expiry()
        now = time.monotonic()
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(start=now - now % period)
        elapsed = now - window.start
        if elapsed >= period:
            steps = int(elapsed // period)
            window.previous = window.current if steps == 1 else 0
            window.current = 0
            window.start += steps * period
            elapsed = now - window.start
        weight = (period - elapsed) / period
        used = window.previous * weight + window.current
        self._hits += 1
        if self._hits % self.PRUNE_EVERY == 0:
            self._prune(now, period)
        if used + 1 > limit.amount:
            return False, 0, period - elapsed
        window.current += 1
        return True, max(0, int(limit.amount - used - 1)), period - elapsed

    def _prune(self, now: float, period: int) -> None:
        stale = [k for k, w in self._windows.items() if now - w.start > 2 * period]
        for key in stale:
            del self._windows[key]


class SharedWindows:
    """Sliding-window counters in a store shared by every replica (``redis://...``)."""

    def __init__(self, storage_url: str) -> None:
        # redis-py is the Redis client in the lock (limits' default would be coredis).
        options = {"implementation": "redispy"} if storage_url.startswith("redis") else {}
        storage = storage_from_string("async+" + storage_url, **options)
        self.limiter = SlidingWindowCounterRateLimiter(storage)

    async def hit(self, key: tuple[str, str], limit: RateLimitItem) -> tuple[bool, int, float]:
        allowed = await self.limiter.hit(limit, *key)
        stats = await self.limiter.get_window_stats(limit, *key)
        return allowed, stats.remaining, max(0.0, stats.reset_time - time.time())


class RateLimitMiddleware:
    """Limits requests per client and route template with sliding-window counters.

    Counts live in process memory by default (``memory://``), or in any store ``limits``
    supports, such as ``redis://host:6379``, so that all replicas count together. Responses carry
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
        exempt: tuple[str, ...] = PLATFORM_PATHS,
    ) -> None:
        self.app = app
        self.default = parse(default)
        self.per_route = {route: parse(limit) for route, limit in (per_route or {}).items()}
        self.exempt = exempt
        self.memory = MemoryWindows() if storage_url == "memory://" else None
        self.shared = None if self.memory else SharedWindows(storage_url)
        self.templates = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        template = self.templates.find(scope)
        route = template or "unmatched"
        limit = self.per_route.get(route, self.default)
        key = (client_address(scope), route)
        if self.memory is not None:
            allowed, remaining, reset_after = self.memory.hit(key, limit)
        else:
            assert self.shared is not None
            allowed, remaining, reset_after = await self.shared.hit(key, limit)
        reset = max(0, math.ceil(reset_after))
        headers = [
            (b"ratelimit-limit", str(limit.amount).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if not allowed:
            if template is not None:
                scope[ROUTE_TEMPLATE] = template
            response = problem_response(
                429,
                detail=f"More than {limit.amount} requests per {limit.get_expiry()} s on {route}.",
                problem_type=PROBLEM_TYPE + "rate-limited",
                instance=scope["path"],
                headers={
                    **{name.decode(): value.decode() for name, value in headers},
                    "Retry-After": str(max(reset, 1)),
                },
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
