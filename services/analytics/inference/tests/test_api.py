"""The router mounted in a servicekit app: predictions, models, readiness, errors."""

import asyncio
import re
import threading
import time

import fastapi.dependencies.utils
import fastapi.routing
import httpx
import numpy as np
import pytest
from servicekit.paths import LIVE_PATH, READY_PATH
from servicekit.testing.client import app_client

from services.analytics.inference.api import EXAMPLE_RETURNS
from services.analytics.inference.component import InferenceComponent
from services.analytics.inference.features import WINDOW
from services.analytics.inference.model import OnnxModel
from services.analytics.inference.train import MODEL_NAME

from .conftest import CALLER, make_app

Client = tuple[httpx.AsyncClient, InferenceComponent]


def _windows(n: int) -> list[list[float]]:
    rng = np.random.default_rng(11)
    return (rng.standard_normal((n, WINDOW)) * rng.uniform(1e-4, 5e-3, (n, 1))).tolist()


async def test_readiness_fails_until_the_model_is_loaded() -> None:
    component = InferenceComponent()
    app = make_app(component)
    report = await app.state.health.report()
    assert report.status == "fail"
    assert "not loaded" in (report.checks["inference"].detail or "")
    await component.start()
    try:
        assert (await app.state.health.report()).status == "pass"
    finally:
        await component.stop()


async def test_ready_when_started(client: Client) -> None:
    http, _ = client
    response = await http.get(READY_PATH)
    assert response.status_code == 200
    assert response.json()["checks"]["inference"]["status"] == "pass"


async def test_one_prediction(client: Client) -> None:
    http, component = client
    response = await http.post("/v1/predictions", json={"returns": EXAMPLE_RETURNS})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == {"name": MODEL_NAME, "version": "1"}
    assert body["volatility"] == await component.predict(EXAMPLE_RETURNS)


async def test_a_prediction_takes_no_thread_pool_hop(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI runs sync dependencies and endpoints in a thread pool: a hop per request,
    # which bench/analytics measured (only the model call belongs off the event loop).
    hops = 0
    original = fastapi.dependencies.utils.run_in_threadpool

    async def counted(*args: object, **kwargs: object) -> object:
        nonlocal hops
        hops += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.dependencies.utils, "run_in_threadpool", counted)
    monkeypatch.setattr(fastapi.routing, "run_in_threadpool", counted)
    http, _ = client
    response = await http.post("/v1/predictions", json={"returns": EXAMPLE_RETURNS})
    assert response.status_code == 200
    assert hops == 0


async def test_batch_equals_singles(client: Client) -> None:
    http, _ = client
    windows = _windows(10)
    batch = await http.post(
        "/v1/predictions/batch", json={"items": [{"returns": w} for w in windows]}
    )
    assert batch.status_code == 200
    singles = [
        (await http.post("/v1/predictions", json={"returns": w})).json()["volatility"]
        for w in windows
    ]
    assert [p["volatility"] for p in batch.json()["predictions"]] == singles


async def test_model_calls_are_in_the_metrics(client: Client) -> None:
    http, _ = client
    await http.post("/v1/predictions/batch", json={"items": [{"returns": w} for w in _windows(5)]})
    text = (await http.get("/metrics")).text
    count = re.search(rf'inference_batch_rows_count{{model="{MODEL_NAME}"}} (\S+)', text)
    total = re.search(rf'inference_batch_rows_sum{{model="{MODEL_NAME}"}} (\S+)', text)
    assert count is not None
    assert total is not None
    assert float(count[1]) >= 1
    assert float(total[1]) >= 5
    assert f'inference_model_call_seconds_count{{model="{MODEL_NAME}"}}' in text


async def test_models(client: Client) -> None:
    http, component = client
    (model,) = (await http.get("/v1/models")).json()
    assert model["name"] == MODEL_NAME
    assert model["sha256"] == component.info.sha256
    assert len(model["sha256"]) == 64
    assert model["inputs"] == WINDOW
    assert model["max_batch"] == 64


async def test_bad_input_is_problem_json_422(client: Client) -> None:
    http, _ = client
    for body in (
        {"returns": [0.001] * (WINDOW - 1)},
        {"returns": ["x"] * WINDOW},
        {"returns": [0.001] * WINDOW, "extra": 1},
        {"items": []},
    ):
        path = "/v1/predictions/batch" if "items" in body else "/v1/predictions"
        response = await http.post(path, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 422
        assert response.json()["errors"]


async def test_burst_of_64_is_batched_and_health_answers_during_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A model call that takes 100 ms, as a heavier model would: the health request below
    # is sent while it runs, and answers only if inference is off the event loop.
    run = OnnxModel.run
    inference_started = threading.Event()

    def slow_run(self: OnnxModel, rows: np.ndarray) -> np.ndarray:
        inference_started.set()
        time.sleep(0.1)
        return run(self, rows)

    monkeypatch.setattr(OnnxModel, "run", slow_run)
    component = InferenceComponent()
    async with app_client(make_app(component), headers=CALLER) as http:
        await http.post("/v1/predictions", json={"returns": EXAMPLE_RETURNS})  # warm up
        assert component.model is not None
        model = component.model
        before = model.calls
        inference_started.clear()
        lateness: list[float] = []
        burst_done = asyncio.Event()

        async def ticker() -> None:
            # How late a 1 ms sleep wakes up. The in-process client and app share this
            # loop, so their own work for 64 requests shows here too: reported, not tested.
            while not burst_done.is_set():
                started = time.perf_counter()
                await asyncio.sleep(0.001)
                lateness.append(time.perf_counter() - started - 0.001)

        async def health_during_inference() -> float:
            # Sent once the burst's first model call has begun, so it is during inference.
            assert await asyncio.to_thread(inference_started.wait, 10)
            started = time.perf_counter()
            response = await http.get(LIVE_PATH)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200
            assert not burst_done.is_set()
            return elapsed

        async def burst() -> list[httpx.Response]:
            try:
                return await asyncio.gather(
                    *(http.post("/v1/predictions", json={"returns": w}) for w in _windows(64))
                )
            finally:
                burst_done.set()

        tick = asyncio.create_task(ticker())
        responses, live_s = await asyncio.gather(burst(), health_during_inference())
        await tick
    calls = model.calls - before
    print(
        f"64 concurrent HTTP predictions: {calls} model calls; /health/live answered in "
        f"{live_s * 1000:.2f} ms during inference; max 1 ms-sleep lateness "
        f"{max(lateness) * 1000:.2f} ms"
    )
    assert all(r.status_code == 200 for r in responses)
    assert calls <= 8
    assert live_s < 0.05
