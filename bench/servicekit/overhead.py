"""Per-request cost of the middleware stack, in process, without a network or a server.

    tools/bazel run //bench/servicekit:overhead [-- --requests 20000 --profile]

Calls each app's ASGI entry point directly with the same request and reports microseconds
per request: bare FastAPI, the full stack on a public route, and on a route needing a
scope, called with a bearer token (verified once, then remembered until it expires), with
a service API key, and with a token whose signature is verified on every request; then
what servicekit's JSON body rules (NaN and Infinity refused) add to a POST with a JSON
body on bare FastAPI, for an ordinary body and for one with "NaN" in a string (the best of
rounds taken in turns).
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

from bench.servicekit.apps import authenticated, bare, credentials, full, posting

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


# The JSON bodies posted: an ordinary one, and one whose string holds a word the rules
# look for, so that they scan it.
BODY = b'{"symbol": "AAPL", "bid": 187.25, "ask": 187.27}'
BODY_WITH_NAN = b'{"symbol": "NaN", "bid": 187.25, "ask": 187.27}'
POST = {"method": "POST", "path": "/quotes", "raw_path": b"/quotes"}
JSON = ((b"content-type", b"application/json"),)


async def call(
    app: ASGIApp,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    body: bytes = b"",
    request: dict[str, object] | None = None,
) -> int:
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = dict(SCOPE, **(request or {}), state={}, headers=[*SCOPE["headers"], *headers])
    await app(scope, receive, send)
    return status


async def measure(
    factory: Callable[[], ASGIApp],
    requests: int,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    uncached: bool = False,
    body: bytes = b"",
    request: dict[str, object] | None = None,
) -> float:
    app = factory()
    assert await call(app, headers, body, request) == 200
    # The authenticator's verified tokens, emptied before each request when measuring
    # the signature check itself.
    verified = app.state.auth.bearer._verified if uncached else None  # type: ignore[attr-defined]
    started = time.perf_counter()
    for _ in range(requests):
        if verified is not None:
            verified.clear()
        await call(app, headers, body, request)
    return (time.perf_counter() - started) / requests * 1e6


async def body_rules(requests: int, rounds: int = 9) -> dict[str, float]:
    """Microseconds of CPU per POST with a JSON body: bare FastAPI, with the JSON body
    rules, and with the rules scanning a body that has "NaN" in a string. The variants
    take turns, ``rounds`` times, and each keeps its fastest round: a difference of
    microseconds survives other processes on the machine only so."""
    variants = {
        "bare": (posting(rules=False), BODY),
        "JSON body rules": (posting(rules=True), BODY),
        'rules, "NaN" in a string': (posting(rules=True), BODY_WITH_NAN),
    }
    best = dict.fromkeys(variants, float("inf"))
    per_round = max(requests // rounds, 1)
    for _ in range(rounds):
        for label, (app, body) in variants.items():
            assert await call(app, JSON, body, POST) == 200
            started = time.process_time()
            for _ in range(per_round):
                await call(app, JSON, body, POST)
            elapsed = (time.process_time() - started) / per_round * 1e6
            best[label] = min(best[label], elapsed)
    return best


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
    bodies = asyncio.run(body_rules(args.requests))
    plain_us = bodies["bare"]
    print(f"POST, JSON body, bare:        {plain_us:7.1f} us/request")
    for label in ("JSON body rules", 'rules, "NaN" in a string'):
        us = bodies[label]
        print(f"{label + ':':28} {us:7.1f} us/request ({us - plain_us:+.1f} us over bare)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
