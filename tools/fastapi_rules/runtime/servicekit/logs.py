"""Structured JSON logs, one object per line, the same fields in every service.

Field names (Express services emit the same; see docs/logging.md):

==============  ==============================================================
timestamp       ISO 8601, UTC, e.g. ``2026-11-26T15:00:00.123456Z``
level           ``debug``, ``info``, ``warning``, ``error``, ``critical``
event           what happened: ``request`` for access lines, else the message
logger          the emitting logger, e.g. ``uvicorn.error``, ``servicekit.access``
service         the service name, of the app whose request or lifespan logs the line
request_id      the request's ``X-Request-ID``, on every line logged while serving it
method, route, path, status, duration_ms, client   on access lines
subject, client_id, auth   on access lines of authenticated requests (never a credential)
auth_error      on access lines of requests whose credential was refused: why
exception       the traceback, on errors
==============  ==============================================================

uvicorn's own loggers go through the same formatter; its access logger is replaced by
``servicekit``'s access line, which knows the route template and request ID.
"""

from __future__ import annotations

import json as json_module
import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import structlog

from servicekit.request_id import request_id as current_request_id

current_service: ContextVar[str | None] = ContextVar("service", default=None)
"""The name of the app serving the current request or lifespan, set by its access
middleware; None outside any app, e.g. on uvicorn's own start-up lines."""


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    value = current_request_id.get()
    if value is not None:
        event.setdefault("request_id", value)
    return event


def _add_service(default: str) -> structlog.types.Processor:
    def processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event.setdefault("service", current_service.get() or default)
        return event

    return processor


# Counts LogConfig.install() calls, so that _NamedLogger rebinds after each.
_generation = 0


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stdout`` as it is when a record is written, not when configured:
    test runners and tools replace it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


class _StdoutLogger:
    """structlog's output for its own loggers: one rendered line to the current stdout.
    (The image sets PYTHONUNBUFFERED, so lines leave as they are written.)"""

    def msg(self, message: str) -> None:
        print(message, file=sys.stdout)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stdout_logger(*_: Any) -> _StdoutLogger:
    return _StdoutLogger()


class LogConfig:
    """How an app's lines are written: under its service name, from a level on, as JSON or
    for a console. The app keeps it as ``app.state.log_config``.

    Lines go to the process's one stdout, through structlog's and the standard library's
    configuration, which are the process's: install() sets them up. The service name stays
    the app's own: its access middleware puts it in the context of each request it serves.
    """

    def __init__(self, service: str, level: str = "info", json: bool = True) -> None:
        self.service = service
        self.level = level
        self.json = json
        # Access lines are rendered by access_line() itself when JSON at info level.
        self._renders_access = json and logging.getLevelName(level.upper()) <= logging.INFO

    def install(self) -> None:
        """Routes structlog's and the standard library's logging to one line format, for
        the whole process. Lines logged outside any app's request carry this service.

        structlog's own loggers (servicekit's, the service's) take the fast path: filtered
        by level before any work, rendered once, written to stdout. Standard library loggers
        (uvicorn, libraries) go through a logging handler with the same processors.
        """
        global _generation
        _generation += 1
        level = self.level.upper()
        # No merge_contextvars: it copies and scans every context variable on every line;
        # the request-scoped fields come from servicekit's own context variables.
        shared: list[structlog.types.Processor] = [
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            _add_service(self.service),
            _add_request_id,
        ]
        renderer: structlog.types.Processor = (
            structlog.processors.JSONRenderer() if self.json else structlog.dev.ConsoleRenderer()
        )
        structlog.configure(
            processors=[*shared, structlog.processors.format_exc_info, renderer],
            wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
            logger_factory=_stdout_logger,
            cache_logger_on_first_use=False,
        )
        formatter = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *shared,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
        handler = _StdoutHandler()
        handler.setFormatter(formatter)
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(level)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = True
        # servicekit's access middleware writes the access line instead.
        logging.getLogger("uvicorn.access").disabled = True

    def access_line(self, fields: dict[str, Any]) -> None:
        """Writes one access line (event ``request``). In JSON mode it is rendered here
        directly, with exactly the fields and format of the processor chain above: access
        lines are written once per request, and the generic chain costs three times as
        much."""
        if not self._renders_access:
            get_logger("servicekit.access").info("request", **fields)
            return
        line = {
            **fields,
            "event": "request",
            "level": "info",
            "logger": "servicekit.access",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "service": self.service,
        }
        request_id = current_request_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        print(json_module.dumps(line), file=sys.stdout)


class _NamedLogger:
    """A structlog logger whose lines carry ``logger=name``, made anew after each
    LogConfig.install(), so module-level loggers follow the configuration in force."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._generation = -1
        self._bound: Any = None

    def __getattr__(self, method: str) -> Any:
        if self._generation != _generation:
            self._bound = structlog.get_logger().bind(logger=self._name)
            self._generation = _generation
        return getattr(self._bound, method)


def get_logger(name: str) -> Any:
    return _NamedLogger(name)
