"""The two apps the throughput benchmark compares: the same JSON endpoint on bare FastAPI
and through servicekit's full middleware stack."""

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from servicekit import ServiceSettings, create_app


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


def router() -> APIRouter:
    routes = APIRouter()
    routes.get("/quotes/{symbol}")(quote)
    return routes


def full() -> FastAPI:
    # Every middleware on: request IDs, access log, metrics, rate limit (set high enough
    # never to refuse, so its bookkeeping is measured, not its 429s), body limit.
    settings = ServiceSettings(rate_limit={"default": "100000000/second"}, log_level="info")
    return create_app(settings, name="bench", title="Bench", version="1", routers=[router()])
