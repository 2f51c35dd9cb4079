"""Structured JSON logs, one object per line, the same fields in every service.

Field names (Express services emit the same; see docs/logging.md):

==============  ==============================================================
timestamp       ISO 8601, UTC, e.g. ``2026-11-26T15:00:00.123456Z``
level           ``debug``, ``info``, ``warning``, ``error``, ``critical``
event           what happened: ``request`` for access lines, else the message
logger          the emitting logger, e.g. ``uvicorn.error``, ``servicekit.access``
service         the service name
request_id      the request's ``X-Request-ID``, on every line logged while serving it
method, route, path, status, duration_ms, client   on access lines
exception       the traceback, on errors
==============  ==============================================================

uvicorn's own loggers go through the same formatter; its access logger is replaced by
``servicekit``'s access line, which knows the route template and request ID.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from asgi_correlation_id import correlation_id


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = correlation_id.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _add_service(service: str) -> structlog.types.Processor:
    def processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event.setdefault("service", service)
        return event

    return processor


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stdout`` as it is when a record is written, not when configured:
    test runners and tools replace it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(service: str, level: str = "info", json: bool = True) -> None:
    """Routes the standard library's and structlog's logging through one JSON formatter."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _add_service(service),
        _add_request_id,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
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
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # servicekit's access middleware writes the access line instead.
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
