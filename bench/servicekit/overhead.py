"""Per-request cost of the middleware stack, in process, without a network or a server.

    tools/bazel run //bench/servicekit:overhead [-- --requests 20000 --profile]

Calls each app's ASGI entry point directly with the same request and reports microseconds
per request: bare FastAPI, the full stack on a public route, and on a route needing a
scope, called with a bearer token (verified once, then remembered until it expires), with
a service API key, and with a token whose signature is verified on every request.
--profile prints where the full stack spends its time. Complements the wrk benchmark
(throughput.py), whose numbers include uvicorn and the network.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message

from bench.servicekit.apps import authenticated, bare, credentials, full

SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/quotes/AAPL",
    "raw_path": b"/quotes/AAPL",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"bench")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def call(app: ASGIApp, headers: tuple[tuple[bytes, bytes], ...] = ()) -> int:
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(SCOPE, state={}, headers=[*SCOPE["headers"], *headers]), receive, send)
    return status


async def measure(
    factory: Callable[[], ASGIApp],
    requests: int,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    uncached: bool = False,
) -> float:
    app = factory()
    assert await call(app, headers) == 200
    # The authenticator's verified tokens, emptied before each request when measuring
    # the signature check itself.
    verified = app.state.auth.bearer._verified if uncached else None  # type: ignore[attr-defined]
    started = time.perf_counter()
    for _ in range(requests):
        if verified is not None:
            verified.clear()
        await call(app, headers)
    return (time.perf_counter() - started) / requests * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(measure(full, args.requests))
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        return 0
    token, key, _ = credentials()
    bearer = ((b"authorization", b"Bearer " + token.encode()),)
    api_key = ((b"x-api-key", key.encode()),)
    bare_us = asyncio.run(measure(bare, args.requests))
    full_us = asyncio.run(measure(full, args.requests))
    print(f"bare: {bare_us:7.1f} us/request")
    print(f"full: {full_us:7.1f} us/request ({full_us - bare_us:+.1f} us of middleware)")
    for label, headers, uncached in (
        ("bearer token", bearer, False),
        ("API key", api_key, False),
        ("bearer, verified every time", bearer, True),
    ):
        us = asyncio.run(measure(authenticated, args.requests, headers, uncached))
        print(f"{label + ':':28} {us:7.1f} us/request ({us - full_us:+.1f} us over full)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
