"""Where a prediction request's CPU goes, in process: the service's prediction router and
InferenceComponent behind servicekit's full stack, called through ASGI without a network.

    tools/bazel run //bench/analytics:inference_cost [-- --batches 200 --profile off]

Sends batches of --concurrency requests at once (as wrk's 64 connections keep 64 in
flight) with micro-batching on (the defaults) and off (window 0, max batch 1), and reports
CPU microseconds per request (all threads of the process: the event loop's and the
inference thread's), model calls, and two parts measured alone: one model call (a block
of 64 rows, however many are real) and one hop to the inference thread and back; and the
garbage collector's CPU per request, by generation. The ratio off/on of CPU per request
bounds what batching can gain when the server is CPU-bound, as wrk's runs make it.
Complements throughput.py, whose numbers add uvicorn, HTTP parsing and the network.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI
from servicekit import ServiceSettings, create_app
from servicekit.testing import TokenIssuer
from starlette.types import Message

MODES = {"on": {"window_s": 0.002, "max_batch": 64}, "off": {"window_s": 0.0, "max_batch": 1}}


ISSUER = TokenIssuer.create(Path(tempfile.mkdtemp(prefix="bench-identity-")), audience="bench")
AUTHORIZATION = ISSUER.headers("analytics:read")["Authorization"].encode()


def build(window_s: float, max_batch: int) -> tuple[FastAPI, Any]:
    # Imported here, alone in their block: ruff's isort files `services` under first party
    # in the workspace but third party in this package's lint sandbox.
    from services.analytics.inference.api import router
    from services.analytics.inference.component import InferenceComponent

    # As the service runs: access log, metrics, rate limit (high enough never to refuse,
    # so its bookkeeping is measured) and the same component and router.
    settings = ServiceSettings(
        rate_limit={"default": "100000000/second"}, log_level="info", auth=ISSUER.auth
    )
    component = InferenceComponent(window_s=window_s, max_batch=max_batch)
    app = create_app(
        settings, name="bench", title="Bench", version="1", routers=[router],
        components=[component],
    )  # fmt: skip
    return app, component


def body() -> bytes:
    from services.analytics.inference.api import EXAMPLE_RETURNS

    return json.dumps({"returns": EXAMPLE_RETURNS}).encode()


async def call(app: FastAPI, content: bytes) -> int:
    status = 0
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/predictions", "raw_path": b"/v1/predictions",
        "root_path": "", "query_string": b"", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000), "state": {},
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                    (b"authorization", AUTHORIZATION),
                    (b"content-length", str(len(content)).encode())],
    }  # fmt: skip

    async def receive() -> Message:
        return {"type": "http.request", "body": content, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """The access lines are formatted and written, as in the service, then dropped."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


class GcClock:
    """A gc.callbacks hook adding up the CPU time of the collector's runs, by generation
    (the thread's CPU clock: collections run in the thread whose allocation set them off)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.seconds[info["generation"]] += time.thread_time() - self._started


async def measure(mode: str, batches: int, concurrency: int) -> dict[str, float]:
    app, component = build(**MODES[mode])
    content = body()
    # The app's own lifespan, as the service's: its components start (the model, the
    # authenticator; no database here), and what servicekit does once started is done.
    async with app.router.lifespan_context(app):
        # Warm-up: the first request builds the OpenAPI paths the rate limit reads.
        for _ in range(20):
            await asyncio.gather(*(call(app, content) for _ in range(concurrency)))
        calls_before = component.model.calls
        collections = GcClock()
        gc.callbacks.append(collections)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(batches):
            statuses = await asyncio.gather(*(call(app, content) for _ in range(concurrency)))
            if set(statuses) != {200}:
                raise RuntimeError(f"{mode}: answers {sorted(set(statuses))}")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        gc.callbacks.remove(collections)
        requests = batches * concurrency
        return {
            **{
                f"gc{generation}_us_per_request": seconds / requests * 1e6
                for generation, seconds in enumerate(collections.seconds)
            },
            "cpu_us_per_request": cpu / requests * 1e6,
            "wall_us_per_request": wall / requests * 1e6,
            "requests_per_model_call": requests / (component.model.calls - calls_before),
        }


def model_call_us(repeats: int = 2000) -> float:
    """CPU of one model call with one real row (padded to a block of 64), in process."""
    from services.analytics.inference.model import OnnxModel

    model = OnnxModel()
    row = np.full((1, model.info.inputs), 0.001, dtype=np.float32)
    for _ in range(100):
        model.run(row)
    started = time.process_time()
    for _ in range(repeats):
        model.run(row)
    return (time.process_time() - started) / repeats * 1e6


async def hop_us(repeats: int = 5000) -> float:
    """CPU of handing a no-op to a one-thread executor and awaiting it, as the batcher
    hands every model call: the thread wakes, the loop is woken back."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1) as executor:
        for _ in range(100):
            await loop.run_in_executor(executor, int)
        started = time.process_time()
        for _ in range(repeats):
            await loop.run_in_executor(executor, int)
        return (time.process_time() - started) / repeats * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="bursts per mode and round")
    parser.add_argument("--concurrency", type=int, default=64, help="requests per burst")
    parser.add_argument("--rounds", type=int, default=3, help="on and off alternate")
    parser.add_argument(
        "--profile", choices=sorted(MODES), help="print where that mode spends its time"
    )
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        with stdout_to_devnull():
            asyncio.run(measure(args.profile, args.batches, args.concurrency))
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        return 0

    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for round_number in range(args.rounds):
        order = list(MODES) if round_number % 2 == 0 else list(reversed(MODES))
        for mode in order:
            with stdout_to_devnull():
                runs[mode].append(asyncio.run(measure(mode, args.batches, args.concurrency)))
    parts = {"model_call_us": model_call_us(), "hop_us": asyncio.run(hop_us())}

    def median(mode: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[mode])

    print(f"{args.concurrency} requests in flight, {args.batches} bursts, {args.rounds} rounds")
    for mode in MODES:
        print(
            f"batching {mode:3}: {median(mode, 'cpu_us_per_request'):6.1f} us CPU per request "
            f"({median(mode, 'wall_us_per_request'):6.1f} us wall), "
            f"{median(mode, 'requests_per_model_call'):5.1f} requests per model call; "
            "garbage collection "
            + ", ".join(f"gen{g} {median(mode, f'gc{g}_us_per_request'):.1f}" for g in range(3))
            + " us"
        )
    ratio = median("off", "cpu_us_per_request") / median("on", "cpu_us_per_request")
    print(f"off/on CPU per request: {ratio:.2f}")
    print(
        f"alone: one model call {parts['model_call_us']:.1f} us CPU, "
        f"one executor hop {parts['hop_us']:.1f} us CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
