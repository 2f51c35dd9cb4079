"""Runs a service with uvicorn: the entry point of `bazel run` of a fastapi_service and of
its image.

On SIGTERM the service first drains: the server tells the app it serves, whose readiness
then answers 503 for ``drain_seconds`` so load balancers stop sending traffic; then
uvicorn stops accepting, lets in-flight requests finish, and runs the lifespan shutdown
that closes pools. Scale a service with replicas of one worker each; with
``WEB_CONCURRENCY`` > 1 uvicorn's own supervisor runs the workers, which shut down
gracefully but without the drain period.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from uvicorn.importer import ImportFromStringError, import_from_string
from uvicorn.supervisors import Multiprocess

from servicekit.app import configuration_errors
from servicekit.health import Health
from servicekit.settings import ServiceSettings


class DrainingServer(uvicorn.Server):
    """uvicorn's server, which on SIGTERM first calls ``on_drain`` and waits
    ``drain_seconds`` before it stops as uvicorn does."""

    def __init__(
        self,
        config: uvicorn.Config,
        drain_seconds: float,
        on_drain: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self.on_drain = on_drain
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        loop = self._loop
        if sig != signal.SIGTERM or self._draining or loop is None or self.drain_seconds <= 0:
            super().handle_exit(sig, frame)
            return
        self._draining = True

        def begin() -> None:
            if self.on_drain is not None:
                self.on_drain()
            loop.call_later(self.drain_seconds, super(DrainingServer, self).handle_exit, sig, frame)

        loop.call_soon_threadsafe(begin)


def drain_hook(app: object) -> Callable[[], None] | None:
    """What tells ``app`` that draining has begun: an app from create_app fails readiness
    from then on; any other ASGI app just gets the drain period."""
    health = getattr(getattr(app, "state", None), "health", None)
    return health.start_draining if isinstance(health, Health) else None


def load_app(app: str, factory: bool = False) -> Any:
    """The app at import path ``app``, made by calling it if ``factory``. Settings that
    do not validate (a service builds them as it loads) stop it in one line each."""
    try:
        loaded = import_from_string(app)
        return loaded() if factory else loaded
    except ImportFromStringError as error:
        sys.exit(f"Error loading ASGI app. {error}")
    except ValidationError as error:
        lines = settings_errors(error)
        if not lines:
            raise
        sys.exit("\n".join(lines))


def _settings_classes(cls: type[ServiceSettings]) -> list[type[ServiceSettings]]:
    found = [cls]
    for subclass in cls.__subclasses__():
        found += _settings_classes(subclass)
    return found


def settings_errors(error: ValidationError) -> list[str]:
    """``<service>: cannot start: <VARIABLE>: <what is wrong>`` for each error of a
    ServiceSettings subclass's validation, naming the environment variable (never its
    value, which may be a secret); empty for other models' errors."""
    classes = [c for c in _settings_classes(ServiceSettings) if c.__name__ == error.title]
    if not classes:
        return []
    config = classes[-1].model_config
    prefix = str(config.get("env_prefix") or "")
    delimiter = str(config.get("env_nested_delimiter") or "__")
    service = os.environ.get("FASTAPI_SERVICE_NAME") or prefix.rstrip("_").lower() or "service"
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        message = problem["msg"].removeprefix("Value error, ")
        path = [str(part) for part in problem["loc"]]
        where = f"{(prefix + delimiter.join(path)).upper()}: " if path else ""
        lines.append(f"{service}: cannot start: {where}{message}")
    return lines


def refuse_unconfigured(app: object) -> None:
    """Exits with one line per missing setting of an app from create_app, before serving:
    a container without its database URL says so instead of printing a traceback."""
    state = getattr(app, "state", None)
    if not isinstance(getattr(state, "health", None), Health):
        return
    assert isinstance(app, FastAPI)
    errors = configuration_errors(app)
    if errors:
        sys.exit("\n".join(f"{app.state.health.service}: cannot start: {e}" for e in errors))


def one_line_startup_failure(app: Any) -> Any:
    """``app``, whose failed start is reported in the one line its lifespan recorded
    (``app.state.startup_error``: a database that never answered, a JWKS file that is no
    JWKS) rather than in the traceback Starlette gives uvicorn to log."""
    state = getattr(app, "state", None)

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            error = getattr(state, "startup_error", None)
            if message["type"] == "lifespan.startup.failed" and error:
                service = app.state.health.service
                message = {**message, "message": f"{service}: cannot start: {error}"}
            await send(message)

        await app(scope, receive, sending)

    return wrapped if isinstance(getattr(state, "health", None), Health) else app


def serve(
    app: str, *, port: int, factory: bool = False, drain_seconds: float | None = None
) -> None:
    """Serves the ASGI app at import path ``app`` ("package.module:attribute"); with
    ``factory``, that attribute is a function returning the app.

    ``HOST``, ``PORT`` and ``WEB_CONCURRENCY`` (uvicorn's names) override the defaults.
    """
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", port))
    # The app may say where it listens (a development banner's curl line).
    os.environ["PORT"] = str(port)
    workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
    if drain_seconds is None:
        drain_seconds = float(os.environ.get("DRAIN_SECONDS", "5"))
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Workers are separate processes: their metrics meet in a shared directory.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-")
    config = functools.partial(
        uvicorn.Config,
        host=host,
        port=port,
        log_config=None,
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )
    if workers > 1:
        # uvicorn's supervisor makes its own servers: workers get its graceful shutdown
        # (stop accepting, finish in flight, close pools) without the drain period.
        supervised = config(app, factory=factory, workers=workers)
        Multiprocess(supervised, sockets=[supervised.bind_socket()]).run()
        return
    # Loaded here rather than by uvicorn, which keeps the app only beneath its own
    # middleware: the server must reach the app to tell it that draining has begun.
    loaded = load_app(app, factory)
    refuse_unconfigured(loaded)
    DrainingServer(
        config(one_line_startup_failure(loaded)), drain_seconds, drain_hook(loaded)
    ).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a FastAPI service with uvicorn.")
    parser.add_argument("--app", required=True, help="import path, e.g. services.x.main:app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--factory", action="store_true", help="--app names an app factory")
    args = parser.parse_args(argv)
    serve(args.app, port=args.port, factory=args.factory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
