"""What the middleware needs to know about a request's route and client.

Access lines, metrics and rate limits are all keyed by route template (``/orders/{id}``),
never by raw path, so that their number is bounded by the number of routes.
"""

from __future__ import annotations

import re

from starlette.routing import compile_path
from starlette.types import Scope

# Scope key under which a middleware that answers before routing (a rate limit or body
# size refusal) leaves the route template it found, so the request is logged and counted
# under its route like a served one.
ROUTE_TEMPLATE = "servicekit.route_template"


def route_template(scope: Scope) -> str | None:
    """The path template of the route that handled ``scope``, e.g. ``/orders/{order_id}``;
    known once the router has run, or once a middleware refused the request by route.

    The template is the one the OpenAPI document publishes (``path_format``: without
    convertors such as ``:int``), which is also what RouteTemplates finds before routing.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template or scope.get(ROUTE_TEMPLATE)


class RouteTemplates:
    """Finds a request's route template before routing, from the app's OpenAPI paths.

    Rate limits are counted per route template, and must be counted before the route runs.
    The OpenAPI document is the public list of templates, so no router internals are used.
    """

    CACHE_SIZE = 4096

    def __init__(self) -> None:
        self._patterns: list[tuple[re.Pattern[str], str]] | None = None
        self._cache: dict[str, str | None] = {}

    def find(self, scope: Scope) -> str | None:
        path = scope["path"]
        if path in self._cache:
            return self._cache[path]
        if self._patterns is None:
            paths = scope["app"].openapi().get("paths", {})
            self._patterns = [(compile_path(template)[0], template) for template in paths]
        template = next((t for pattern, t in self._patterns if pattern.match(path)), None)
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()  # paths with IDs in them are endless; hot ones come back
        self._cache[path] = template
        return template


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"
