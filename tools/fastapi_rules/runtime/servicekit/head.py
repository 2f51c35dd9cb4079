"""HEAD answered as GET without the content (RFC 9110 section 9.3.2).

FastAPI's routes answer exactly the methods they declare, so a HEAD on a GET route would
be a 405 (Starlette's own routes add HEAD to GET; FastAPI's do not). Declaring HEAD on
each route would put a second operation per path in the OpenAPI document; this
middleware leaves the routes and the document alone instead.
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _served_as_get(scope: Scope) -> bool:
    """Whether no route takes this HEAD request as it is, and a route takes it as GET.

    Routes that answer HEAD themselves (Starlette routes without methods, mounts such as
    static files, an explicit HEAD route) keep it: only a route match says so, never a
    path's shape. Only HEAD requests pay for the look-up.
    """
    routes = scope["app"].router.routes
    if any(route.matches(scope)[0] is Match.FULL for route in routes):
        return False
    as_get = {**scope, "method": "GET"}
    return any(route.matches(as_get)[0] is Match.FULL for route in routes)


class HeadMiddleware:
    """A HEAD request that only a GET route takes is served by that route, as GET,
    and its answer leaves without the content: the status and headers (Content-Type and
    Content-Length included) are GET's. Requests to other routes are untouched, so HEAD on
    a route without GET is still a 405 naming the methods it allows.

    Innermost of servicekit's middleware: the access line, metrics and rate limit see
    HEAD, which the request is; only the routing below sees GET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or not _served_as_get(scope):
            await self.app(scope, receive, send)
            return

        async def send_without_content(message: Message) -> None:
            if message["type"] == "http.response.start":
                # From here the request is HEAD again for whoever reads the scope.
                scope["method"] = "HEAD"
            elif message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # The scope is shared with the middleware outside, which must see the route the
        # router finds (the access line's route template): changed in place, and back.
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, send_without_content)
        finally:
            scope["method"] = "HEAD"
