"""Micro-batching is a setting: on by default, off with window 0 and max_batch 1."""

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError
from servicekit.testing import TokenIssuer, app_client

from services.analytics.api import READ_SCOPE
from services.analytics.main import build_app
from services.analytics.settings import InferenceSettings, Settings
from services.analytics.tests.conftest import settings_for

CONCURRENT = 16


def test_batching_is_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANALYTICS_INFERENCE__WINDOW_S", raising=False)
    monkeypatch.delenv("ANALYTICS_INFERENCE__MAX_BATCH", raising=False)
    assert Settings().inference == InferenceSettings(window_s=0.002, max_batch=64)


def test_the_environment_switches_batching_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYTICS_INFERENCE__WINDOW_S", "0")
    monkeypatch.setenv("ANALYTICS_INFERENCE__MAX_BATCH", "1")
    assert Settings().inference == InferenceSettings(window_s=0, max_batch=1)


def test_a_window_in_milliseconds_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYTICS_INFERENCE__WINDOW_S", "2")
    with pytest.raises(ValidationError):
        Settings()


async def _model_calls(
    dsn: str, issuer: TokenIssuer, inference: InferenceSettings
) -> tuple[int, dict[str, Any]]:
    """Model calls for CONCURRENT simultaneous predictions, and what /v1/models reports."""
    settings = settings_for(dsn, issuer).model_copy(update={"inference": inference})
    app = build_app(settings)
    async with app_client(app, headers=issuer.headers(READ_SCOPE)) as client:
        # Found by its component name: the inference package is not this test's import
        # (a separate Bazel package, outside this package's lint sandbox).
        (component,) = [c for c in app.state.components if c.name == "inference"]
        (description,) = (await client.get("/v1/models")).json()
        returns = [0.001] * description["inputs"]  # one value per model input
        before = component.model.calls
        answers = await asyncio.gather(
            *(client.post("/v1/predictions", json={"returns": returns}) for _ in range(CONCURRENT))
        )
        assert [a.status_code for a in answers] == [200] * CONCURRENT
        calls = component.model.calls - before
    return calls, description


async def test_batching_off_calls_the_model_once_per_request(
    postgres_dsn: str, issuer: TokenIssuer
) -> None:
    off = InferenceSettings(window_s=0, max_batch=1)
    calls, description = await _model_calls(postgres_dsn, issuer, off)
    assert calls == CONCURRENT
    assert (description["max_batch"], description["batch_window_ms"]) == (1, 0)


async def test_batching_on_stacks_concurrent_requests(
    postgres_dsn: str, issuer: TokenIssuer
) -> None:
    calls, description = await _model_calls(postgres_dsn, issuer, InferenceSettings())
    assert calls < CONCURRENT
    assert (description["max_batch"], description["batch_window_ms"]) == (64, 2)
