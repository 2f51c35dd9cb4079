"""The apps the benchmarks compare: the same JSON endpoint on bare FastAPI, through
servicekit's full middleware stack open to anyone, and behind a scope (authenticated);
and an endpoint taking a JSON body on bare FastAPI, with and without servicekit's JSON
body rules (posting)."""

import functools
import tempfile
from pathlib import Path

from fastapi import APIRouter, FastAPI, params
from pydantic import BaseModel
from servicekit import (
    ApiKeySettings,
    AuthSettings,
    DevelopmentIdentity,
    ServiceSettings,
    create_app,
    public,
    requires,
)
from servicekit.auth.api_keys import new_api_key
from servicekit.auth.development import DEVELOPMENT_ISSUER
from servicekit.json_body import JsonBodyMiddleware


class Quote(BaseModel):
    symbol: str
    bid: float
    ask: float


async def quote(symbol: str) -> Quote:
    return Quote(symbol=symbol, bid=187.25, ask=187.27)


def bare() -> FastAPI:
    # The same router as the full stack's, so that only the platform's layers differ.
    app = FastAPI()
    app.include_router(router())
    return app


def router(*policy: params.Depends) -> APIRouter:
    routes = APIRouter(dependencies=list(policy))
    routes.get("/quotes/{symbol}")(quote)
    return routes


# Every middleware on: request IDs, access log, metrics, authentication, rate limit (set
# high enough never to refuse, so its bookkeeping is measured, not its 429s), body limit.
RATE_LIMIT = {"default": "100000000/second"}


def full() -> FastAPI:
    settings = ServiceSettings(rate_limit=RATE_LIMIT, log_level="info")
    return create_app(
        settings, name="bench", title="Bench", version="1", routers=[router(public())]
    )


@functools.cache
def credentials() -> tuple[str, str, AuthSettings]:
    """A bearer token and an API key granting bench:read, and auth settings trusting both."""
    identity = DevelopmentIdentity.load_or_create(Path(tempfile.mkdtemp(prefix="bench-")))
    key, digest = new_api_key()
    auth = AuthSettings(
        jwks_file=identity.jwks_file,
        issuer=DEVELOPMENT_ISSUER,
        audience="bench",
        api_keys=[ApiKeySettings(client="caller", sha256=digest, scopes=["bench:read"])],
    )
    return identity.mint(audience="bench", scopes=["bench:read"]), key, auth


def authenticated() -> FastAPI:
    """The same endpoint needing the scope bench:read, by bearer token or API key."""
    settings = ServiceSettings(rate_limit=RATE_LIMIT, log_level="info", auth=credentials()[2])
    return create_app(
        settings,
        name="bench",
        title="Bench",
        version="1",
        routers=[router(requires("bench:read"))],
    )


async def record(quote: Quote) -> Quote:
    return quote


def posting(rules: bool) -> FastAPI:
    """POST /quotes taking a Quote on bare FastAPI, with servicekit's JSON body rules
    (servicekit.json_body's middleware, as create_app adds it) or without: what the rules
    cost a request with a body."""
    app = FastAPI()
    routes = APIRouter()
    routes.post("/quotes")(record)
    app.include_router(routes)
    if rules:
        app.add_middleware(JsonBodyMiddleware)
    return app
