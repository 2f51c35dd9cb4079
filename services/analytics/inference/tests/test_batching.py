"""Micro-batching: concurrent callers share model calls and get their own answers."""

import asyncio
import threading
import time

import numpy as np
import pytest

from services.analytics.inference.batcher import MicroBatcher
from services.analytics.inference.component import InferenceComponent, ModelNotLoadedError
from services.analytics.inference.features import WINDOW


def _windows(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = rng.uniform(1e-4, 5e-3, size=(n, 1))
    return rng.standard_normal((n, WINDOW)) * scale


async def test_predict_before_start_fails() -> None:
    component = InferenceComponent()
    with pytest.raises(ModelNotLoadedError):
        await component.check()
    with pytest.raises(ModelNotLoadedError):
        await component.predict([0.0] * WINDOW)


async def test_batch_equals_single(component: InferenceComponent) -> None:
    rows = _windows(20)
    singles = [await component.predict(row) for row in rows]
    assert await component.predict_many(rows) == singles


async def test_concurrent_callers_get_their_own_results(component: InferenceComponent) -> None:
    rows = _windows(64)
    expected = [await component.predict(row) for row in rows]
    got = await asyncio.gather(*(component.predict(row) for row in rows))
    assert got == expected


async def test_64_concurrent_requests_share_few_model_calls(
    component: InferenceComponent,
) -> None:
    assert component.model is not None
    before = component.model.calls
    await asyncio.gather(*(component.predict(row) for row in _windows(64)))
    calls = component.model.calls - before
    print(f"model calls for 64 concurrent predictions: {calls}")
    assert calls <= 4


async def test_batches_hold_at_most_max_batch_rows_and_route_results() -> None:
    sizes: list[int] = []

    def double(rows: np.ndarray) -> np.ndarray:
        sizes.append(len(rows))
        return rows[:, 0] * 2

    batcher = MicroBatcher(double, window_s=0.002, max_batch=8)
    batcher.start()
    try:
        requests = [
            np.full((k, 1), float(i), dtype=np.float32) for i, k in enumerate([1, 3, 5] * 6)
        ]
        results = await asyncio.gather(*(batcher.submit(r) for r in requests))
        # A request larger than max_batch goes alone rather than never.
        big = await batcher.submit(np.ones((20, 1), dtype=np.float32))
    finally:
        await batcher.stop()
    for request, result in zip(requests, results, strict=True):
        assert result.tolist() == (request[:, 0] * 2).tolist()
    assert big.tolist() == [2.0] * 20
    assert max(sizes[:-1]) <= 8
    assert sizes[-1] == 20
    assert sum(sizes[:-1]) == sum(len(r) for r in requests)


async def test_a_failing_model_call_fails_every_caller_of_the_batch() -> None:
    def broken(rows: np.ndarray) -> np.ndarray:
        raise RuntimeError("boom")

    batcher = MicroBatcher(broken)
    batcher.start()
    try:
        results = await asyncio.gather(
            *(batcher.submit(np.zeros((1, 1), dtype=np.float32)) for _ in range(3)),
            return_exceptions=True,
        )
    finally:
        await batcher.stop()
    assert [str(r) for r in results] == ["boom"] * 3


async def test_a_lone_request_waits_at_most_about_the_window(
    component: InferenceComponent,
) -> None:
    await component.predict(_windows(1)[0])  # warm the executor thread
    started = time.perf_counter()
    await component.predict(_windows(1)[0])
    assert time.perf_counter() - started < 0.05


async def test_inference_runs_off_the_event_loop() -> None:
    # The model call blocks until the event loop, running meanwhile, releases it: run on
    # the loop's thread it could never be released (the wait gives up after 10 s), so the
    # test needs no timing threshold, which a loaded machine would break.
    loop_thread = threading.get_ident()
    release = threading.Event()
    started = threading.Event()
    calls: list[tuple[int, bool]] = []

    def blocking(rows: np.ndarray) -> np.ndarray:
        started.set()
        calls.append((threading.get_ident(), release.wait(timeout=10)))
        return rows[:, 0]

    batcher = MicroBatcher(blocking)
    batcher.start()
    ticks = 0

    async def loop_keeps_running() -> None:
        nonlocal ticks
        while not started.is_set() and ticks < 10_000:
            ticks += 1
            await asyncio.sleep(0.001)
        # The call has started: the loop is free, so it can let the call finish.
        release.set()

    try:
        rows = _windows(64).astype(np.float32)
        results = await asyncio.gather(
            loop_keeps_running(),
            *(batcher.submit(rows[i : i + 1]) for i in range(64)),
        )
    finally:
        release.set()
        await batcher.stop()
    assert len(results) == 65
    assert calls, "the model was never called"
    assert all(thread != loop_thread for thread, _ in calls), (
        "the model ran on the event loop's thread"
    )
    assert all(released for _, released in calls), "the loop was blocked while the model ran"
