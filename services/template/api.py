"""The service's endpoints: one typed example to replace with real ones."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from servicekit import Price, Quantity, requires

from .settings import Settings

# Every route declares who may call it (docs/security.md): here, callers whose token or
# API key grants this scope. A service that changes state adds a write scope for that.
READ_SCOPE = "template:read"

router = APIRouter(prefix="/v1", tags=["notional"])


class NotionalRequest(BaseModel):
    symbol: str = Field(pattern=r"^[A-Z0-9.]{1,12}$", examples=["AAPL"])
    # Price and Quantity publish their digits and places in the OpenAPI document, and
    # accept exactly what it allows (see servicekit.models.DecimalAmount).
    quantity: Quantity = Field(examples=["100"])
    price: Price = Field(examples=["187.25"])


class NotionalResponse(BaseModel):
    symbol: str
    quantity: Quantity
    price: Price
    notional: Decimal = Field(description="quantity x price, rounded to cents")
    currency: str


def settings(request: Request) -> Settings:
    return request.app.state.settings


@router.post(
    "/notional",
    summary="Notional value of a position",
    dependencies=[requires(READ_SCOPE)],
)
async def notional(
    order: NotionalRequest, config: Annotated[Settings, Depends(settings)]
) -> NotionalResponse:
    value = (order.quantity * order.price).quantize(Decimal("0.01"))
    return NotionalResponse(
        symbol=order.symbol,
        quantity=order.quantity,
        price=order.price,
        notional=value,
        currency=config.currency,
    )
