"""Last prices by symbol: a service of a repository that adopted fastapi_rules."""

from decimal import Decimal

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel
from servicekit import ServiceSettings, create_app, requires

# Who may read quotes: callers whose token or API key grants quotes:read.
router = APIRouter(
    prefix="/v1", tags=["quotes"], dependencies=[requires("quotes:read")]
)
_LAST = {"AAPL": Decimal("187.25"), "MSFT": Decimal("411.10")}


class Quote(BaseModel):
    symbol: str
    price: Decimal


@router.get("/quotes/{symbol}")
async def quote(symbol: str) -> Quote:
    if symbol not in _LAST:
        raise HTTPException(status_code=404, detail=f"no quote for {symbol}")
    return Quote(symbol=symbol, price=_LAST[symbol])


def build_app(settings: ServiceSettings) -> FastAPI:
    return create_app(settings, routers=[router])


app = build_app(ServiceSettings())
