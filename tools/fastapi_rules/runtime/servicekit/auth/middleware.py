"""Authentication before the rate limit and routing (pure ASGI).

The middleware only finds out who is calling; whether they may is each route's policy
(servicekit.auth.dependencies). It runs before the rate limit so that the limit counts a
principal as itself, not as the address it happens to call from.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from servicekit.auth.component import Authenticator
from servicekit.auth.principal import PRINCIPAL, REFUSAL, Refusal
from servicekit.paths import OPEN_PATHS, OPEN_PREFIXES

_AUTHORIZATION = b"authorization"
_API_KEY = b"x-api-key"


class AuthenticationMiddleware:
    """Verifies a request's ``Authorization: Bearer`` token or ``X-API-Key``; leaves the
    Principal in the scope (and ``request.state.principal``), or the Refusal."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        open_paths: tuple[str, ...] = OPEN_PATHS,
        open_prefixes: tuple[str, ...] = OPEN_PREFIXES,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.open_paths = frozenset(open_paths)
        self.open_prefixes = open_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        # Open paths ignore credentials: a probe or a docs page never fails over a token.
        if path in self.open_paths or path.startswith(self.open_prefixes):
            await self.app(scope, receive, send)
            return
        authorization = api_key = None
        for name, value in scope["headers"]:
            if name == _AUTHORIZATION:
                if authorization is not None:
                    authorization = b""  # twice: malformed, whatever the values
                    break
                authorization = value
            elif name == _API_KEY:
                api_key = value
        if authorization is not None or api_key is not None:
            try:
                principal = await self.authenticator.authenticate(authorization, api_key)
            except Refusal as refusal:
                scope[REFUSAL] = refusal
            else:
                scope[PRINCIPAL] = principal
                scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
