"""create_app: one call gives a service the platform's behaviour."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, Protocol, runtime_checkable

from fastapi import APIRouter, FastAPI

from servicekit.auth.component import Authenticator
from servicekit.auth.dependencies import undeclared_routes
from servicekit.auth.middleware import AuthenticationMiddleware
from servicekit.body_limit import BodySizeLimitMiddleware
from servicekit.brand import TRADING_SYSTEM, Brand
from servicekit.cors import ProblemCORSMiddleware
from servicekit.db import install_database_errors
from servicekit.docs import install_docs
from servicekit.errors import PROBLEM_RESPONSES, install_error_handlers
from servicekit.head import HeadMiddleware
from servicekit.health import Health, HealthCheck, health_router
from servicekit.info import ServiceInfo
from servicekit.json_body import JsonBodyMiddleware, NonJsonNumber, non_json_number
from servicekit.logs import LogConfig, get_logger
from servicekit.metrics import ObservabilityMiddleware, metrics_endpoint
from servicekit.paths import METRICS_PATH, PLATFORM_PATHS
from servicekit.rate_limit import RateLimitMiddleware
from servicekit.request_id import RequestIdMiddleware
from servicekit.settings import ServiceSettings, StartupError

log = get_logger("servicekit.app")


class Component(Protocol):
    """Something with a lifetime: started before serving, stopped after, and checked for
    readiness (a connection pool, a loaded model, a background task)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def check(self) -> None: ...


@runtime_checkable
class ConfiguredComponent(Component, Protocol):
    """A component that can tell, before the service starts, which of the service's
    settings it lacks (a pool without a URL): ``servicekit.serve`` then refuses to start
    with one line per problem instead of failing in the lifespan."""

    def configuration_errors(self, settings: ServiceSettings) -> list[str]: ...


def configuration_errors(app: FastAPI) -> list[str]:
    """What the components of an app from ``create_app`` lack in its settings."""
    settings = app.state.settings
    return [
        error
        for component in app.state.components
        if isinstance(component, ConfiguredComponent)
        for error in component.configuration_errors(settings)
    ]


def startup_failure(component: str, error: StartupError, settings: ServiceSettings) -> str:
    """What a component's StartupError says, on one line, naming the setting to check."""
    line = " ".join(f"{component}: {error}".split())
    if error.setting:
        line += f"; check {settings.env_name(*error.setting)}"
    return line


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    settings: ServiceSettings,
    *,
    name: str | None = None,
    title: str | None = None,
    version: str | None = None,
    description: str | None = None,
    routers: Sequence[APIRouter] = (),
    components: Sequence[Component] = (),
    health_checks: Sequence[HealthCheck] = (),
    lifespan: Lifespan | None = None,
    tags: list[dict[str, Any]] | None = None,
    contact: dict[str, str] | None = None,
    rate_limits: dict[str, str] | None = None,
    brand: Brand = TRADING_SYSTEM,
) -> FastAPI:
    """A FastAPI app with logging, request IDs, metrics, CORS, authentication, rate
    limits, body limits, problem+json errors, health endpoints, offline docs and managed
    components; HEAD on every GET route, and JSON bodies as RFC 8259 has them (NaN and
    Infinity are malformed JSON; a body in another media type is a 415).

    Every route of ``routers`` must declare its access policy, ``servicekit.requires(...)``
    or ``servicekit.public()`` (docs/security.md): a route that declares neither is a
    ValueError here, so no endpoint is open by omission.

    Args:
      settings: the service's settings (a ServiceSettings subclass).
      name: service name, as in services/ports.bzl; labels logs and metrics.
      title, version, description: OpenAPI branding. Each defaults to what the BUILD
        file's fastapi_service() declares (see servicekit.info).
      routers: the service's routers; each route declares its access policy.
      components: started in order before serving, stopped in reverse, each a readiness
        check. The authenticator (settings.auth) is started first.
      health_checks: further readiness checks.
      lifespan: the service's own startup and shutdown, run inside the components'.
      tags: OpenAPI tag descriptions.
      contact: OpenAPI contact (name, email, url); default the brand's.
      rate_limits: per route template limits, e.g. {"/orders": "10/second"}.
      brand: the look and links of /docs, /redoc and the OpenAPI document.
    """
    info = ServiceInfo.from_environment()
    name = name or info.name
    undeclared = [route for router in routers for route in undeclared_routes(router.routes)]
    if undeclared:
        raise ValueError(
            f"{name}: routes without an access policy: {'; '.join(undeclared)}. Add "
            "dependencies=[servicekit.requires(SCOPE, ...)] for callers holding those scopes, "
            "or [servicekit.public()] for anyone (docs/security.md)"
        )
    auth = Authenticator(settings, service=name)
    components = [auth, *components]
    title = title or info.title
    version = version or info.version
    description = info.description if description is None else description
    log_config = LogConfig(name, settings.log_level, settings.log_json)
    log_config.install()
    health = Health(name, version, settings.health_check_timeout_s)
    for check in health_checks:
        health.register(check)
    for component in components:
        health.register(HealthCheck(component.name, component.check))

    @asynccontextmanager
    async def managed(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for component in components:
                try:
                    await component.start()
                except StartupError as error:
                    # servicekit.serve says this in one line (startup_failure).
                    app.state.startup_error = startup_failure(component.name, error, settings)
                    raise
                stack.push_async_callback(component.stop)
                log.info("component started", component=component.name)
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            log.info("service ready", version=version, environment=settings.environment)
            # What start-up made (modules, routes, schemas, the components' state) lives as
            # long as the service: out of the collector's generations, the full collections
            # that requests' garbage triggers no longer walk it (bench/compare measured
            # them at a tenth of a prediction's CPU, docs/benchmarks.md). Garbage first,
            # so that none is kept; given back when the app stops (tests start many).
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()
        log.info("service stopped")

    servers = [{"url": settings.public_url}] if settings.public_url else None
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        openapi_tags=tags,
        contact=contact,
        servers=servers,
        docs_url=None,
        redoc_url=None,
        lifespan=managed,
        responses=PROBLEM_RESPONSES,
    )
    app.state.settings = settings
    app.state.health = health
    app.state.log_config = log_config
    app.state.components = list(components)
    app.state.auth = auth
    install_error_handlers(app)
    app.add_exception_handler(NonJsonNumber, non_json_number)
    install_database_errors(app)
    # The router tries routes in order: the service's own, which take the traffic, first.
    for router in routers:
        app.include_router(router)
    app.include_router(health_router())
    app.add_route(METRICS_PATH, metrics_endpoint, include_in_schema=False)
    install_docs(app, brand)

    # Added innermost first: each add_middleware wraps everything added before it. All
    # are pure ASGI: BaseHTTPMiddleware's task per request and body streaming would cost
    # a large share of throughput.
    app.add_middleware(HeadMiddleware)
    app.add_middleware(JsonBodyMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit.enabled:
        app.add_middleware(
            RateLimitMiddleware,
            default=settings.rate_limit.default,
            storage_url=settings.rate_limit.storage_url,
            per_route=rate_limits,
        )
    # Outside the rate limit, which then counts an authenticated caller as itself.
    app.add_middleware(AuthenticationMiddleware, authenticator=auth)
    if settings.cors_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining"],
        )
    app.add_middleware(
        ObservabilityMiddleware,
        log_config=log_config,
        skip_metrics=PLATFORM_PATHS,
    )
    app.add_middleware(RequestIdMiddleware)
    return app
