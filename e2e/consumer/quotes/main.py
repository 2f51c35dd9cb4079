"""Last prices by symbol: a service of a repository that adopted fastapi_rules."""

from decimal import Decimal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from servicekit import ServiceSettings, create_app

router = APIRouter(prefix="/v1", tags=["quotes"])
_LAST = {"AAPL": Decimal("187.25"), "MSFT": Decimal("411.10")}


class Quote(BaseModel):
    symbol: str
    price: Decimal


@router.get("/quotes/{symbol}")
async def quote(symbol: str) -> Quote:
    if symbol not in _LAST:
        raise HTTPException(status_code=404, detail=f"no quote for {symbol}")
    return Quote(symbol=symbol, price=_LAST[symbol])


app = create_app(ServiceSettings(), routers=[router])
