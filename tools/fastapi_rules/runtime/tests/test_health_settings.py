import asyncio
import gc

import pytest
from pydantic import SecretStr, ValidationError
from servicekit import HealthCheck, ServiceSettings
from servicekit.testing import app_client

from tools.fastapi_rules.runtime.tests.sample_app import Settings, build


async def test_live_and_ready_pass(client):
    assert (await client.get("/health/live")).json() == {"status": "pass"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    report = ready.json()
    # The one component every app has: the authenticator (no key set to wait for here).
    assert report.pop("checks").keys() == {"auth"}
    assert report == {"status": "pass", "service": "sample", "version": "1.2.3"}


async def test_each_check_is_reported_and_timed_out_separately():
    async def fine() -> None:
        return None

    async def broken() -> None:
        raise ConnectionError("feed unreachable")

    async def hanging() -> None:
        await asyncio.sleep(30)

    checks = (
        HealthCheck("fine", fine),
        HealthCheck("broken", broken),
        HealthCheck("hanging", hanging, timeout_s=0.2),
    )
    async with app_client(build(Settings(), checks)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "fail"
    assert report["checks"]["fine"]["status"] == "pass"
    assert report["checks"]["broken"]["detail"] == "ConnectionError: feed unreachable"
    assert report["checks"]["hanging"]["detail"] == "no answer within 0.2 s"
    assert report["checks"]["hanging"]["duration_ms"] < 2000


async def test_draining_turns_readiness_503_but_not_liveness():
    app = build()
    async with app_client(app) as client:
        assert (await client.get("/health/ready")).status_code == 200
        app.state.health.start_draining()
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["shutdown"]["detail"] == "draining before shutdown"
        assert (await client.get("/health/live")).status_code == 200


async def test_two_apps_in_one_process_drain_separately():
    leaving, staying = build(), build()
    leaving.state.health.start_draining()
    async with app_client(leaving) as first, app_client(staying) as second:
        assert (await first.get("/health/ready")).status_code == 503
        assert (await second.get("/health/ready")).status_code == 200


async def test_what_startup_made_is_frozen_out_of_collections_until_the_app_stops():
    # Full collections walk only what requests made (bench/compare, docs/benchmarks.md).
    assert gc.get_freeze_count() == 0
    async with app_client(build()) as client:
        assert gc.get_freeze_count() > 10_000  # modules, routes, schemas, components
        assert (await client.get("/health/ready")).status_code == 200
    assert gc.get_freeze_count() == 0


def test_settings_come_from_the_service_prefix(monkeypatch):
    monkeypatch.setenv("SAMPLE_LOG_LEVEL", "warning")
    monkeypatch.setenv("SAMPLE_RATE_LIMIT__DEFAULT", "7/second")
    monkeypatch.setenv("SAMPLE_CORS_ORIGINS", '["https://desk.example"]')
    settings = Settings()
    assert settings.log_level == "warning"
    assert settings.rate_limit.default == "7/second"
    assert settings.cors_origins == ["https://desk.example"]


class WithSecret(ServiceSettings):
    api_key: SecretStr = SecretStr("change-me")


def test_default_secret_is_refused_outside_development():
    assert WithSecret(environment="development").api_key.get_secret_value() == "change-me"
    with pytest.raises(ValidationError, match="set SERVICE_API_KEY"):
        WithSecret(environment="production")
    assert WithSecret(environment="production", api_key=SecretStr("s3cret"))


async def test_cors_allows_configured_origins_only():
    settings = Settings(cors_origins=["https://desk.example"])
    async with app_client(build(settings)) as client:
        allowed = await client.options(
            "/orders",
            headers={"Origin": "https://desk.example", "Access-Control-Request-Method": "POST"},
        )
        refused = await client.options(
            "/orders",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://desk.example"
    assert "access-control-allow-origin" not in refused.headers
