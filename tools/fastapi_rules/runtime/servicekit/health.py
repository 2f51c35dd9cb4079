"""Liveness and readiness for the service launcher and load balancers.

The live path answers while the process can serve at all. The ready path runs every
registered check concurrently, each under its own timeout, and answers 503 when any
fails, or when the process is draining before shutdown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from servicekit.models import CheckResult, HealthReport
from servicekit.paths import LIVE_PATH, READY_PATH


@dataclass(frozen=True)
class HealthCheck:
    """A named readiness check: an async callable that raises when not ready."""

    name: str
    check: Callable[[], Awaitable[object]]
    timeout_s: float | None = None


class Health:
    """An app's readiness: its checks, and whether it is draining before shutdown."""

    def __init__(self, service: str, version: str, default_timeout_s: float) -> None:
        self.service = service
        self.version = version
        self.default_timeout_s = default_timeout_s
        self.checks: dict[str, HealthCheck] = {}
        self._draining = False

    @property
    def draining(self) -> bool:
        return self._draining

    def start_draining(self) -> None:
        """Readiness fails from now on, so load balancers stop sending traffic before the
        server stops (servicekit.serve calls this on SIGTERM)."""
        self._draining = True

    def register(self, check: HealthCheck) -> None:
        if check.name in self.checks:
            raise ValueError(f"a health check named {check.name!r} is already registered")
        self.checks[check.name] = check

    async def _run(self, check: HealthCheck) -> CheckResult:
        started = time.perf_counter()
        timeout = check.timeout_s or self.default_timeout_s
        try:
            async with asyncio.timeout(timeout):
                await check.check()
        except TimeoutError:
            result, detail = "fail", f"no answer within {timeout} s"
        except Exception as error:  # a failing check is a report, not a crash
            result, detail = "fail", f"{type(error).__name__}: {error}"
        else:
            result, detail = "pass", None
        duration = round((time.perf_counter() - started) * 1000, 3)
        return CheckResult(status=result, duration_ms=duration, detail=detail)

    async def report(self) -> HealthReport:
        results = await asyncio.gather(*(self._run(c) for c in self.checks.values()))
        checks = dict(zip(self.checks, results, strict=True))
        if self._draining:
            checks["shutdown"] = CheckResult(
                status="fail", duration_ms=0, detail="draining before shutdown"
            )
        status = "pass" if all(c.status == "pass" for c in checks.values()) else "fail"
        return HealthReport(
            status=status, service=self.service, version=self.version, checks=checks
        )


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(LIVE_PATH, summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "pass"}

    @router.get(
        READY_PATH,
        summary="Every dependency is ready",
        response_model=HealthReport,
        responses={503: {"model": HealthReport, "description": "Not ready"}},
    )
    async def ready(request: Request) -> JSONResponse:
        report = await request.app.state.health.report()
        return JSONResponse(
            report.model_dump(exclude_none=True),
            status_code=200 if report.status == "pass" else 503,
        )

    return router
