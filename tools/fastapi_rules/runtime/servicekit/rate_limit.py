"""Rate limiting per client and route template, with its two stores: counters in process
memory, or in a store every replica shares.

Written here because no library limits by route template before routing and refuses
with problem+json; ``limits`` provides the shared stores."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.auth.principal import principal_of
from servicekit.errors import PROBLEM_TYPE, problem_response
from servicekit.paths import PLATFORM_PATHS
from servicekit.routes import ROUTE_TEMPLATE, RouteTemplates, client_address

Key = tuple[str, str]
"""(caller, route template): the caller is the authenticated principal when there is
one (``bearer:<sub>``, ``api_key:<client>``), else the client address."""


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
        self._windows: dict[Key, _Window] = {}
        self._hits = 0

    def hit(self, key: Key, limit: RateLimitItem) -> tuple[bool, int, float]:
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

    async def hit(self, key: Key, limit: RateLimitItem) -> tuple[bool, int, float]:
        allowed = await self.limiter.hit(limit, *key)
        stats = await self.limiter.get_window_stats(limit, *key)
        return allowed, stats.remaining, max(0.0, stats.reset_time - time.time())


class RateLimitMiddleware:
    """Limits requests per caller and route template with sliding-window counters. The
    caller is the principal the authentication middleware found, else the client address.

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
        principal = principal_of(scope)
        key = (principal.rate_limit_key if principal else client_address(scope), route)
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
