"""Request body size limit, answered as problem+json like every other error."""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import PROBLEM_TYPE, problem_response
from servicekit.routes import ROUTE_TEMPLATE, RouteTemplates, route_template


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with a 413 problem, whether the length is
    declared or the body is streamed. (FastAPI's own ``max_body_size`` answers a declared
    oversize with text/plain, and every error here is problem+json.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.templates = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return

        received = 0
        response_started = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not response_started:
                    # Answer now and tell the app the client has gone: raising here would
                    # reach FastAPI's body parser, which turns any error into a 400.
                    refused = True
                    await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the 413 has been sent
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A declared length is refused before routing: look the route up for the access
        # line and metrics, on this rare path only.
        if route_template(scope) is None:
            template = self.templates.find(scope)
            if template is not None:
                scope[ROUTE_TEMPLATE] = template
        response = problem_response(
            413,
            detail=f"Request bodies are limited to {self.max_bytes} bytes.",
            problem_type=PROBLEM_TYPE + "body-too-large",
            instance=scope["path"],
        )
        await response(scope, receive, send)
