"""The company's look of every service's API documentation: one object, TradingSystem's by
default, applied to Swagger UI (/docs), ReDoc (/redoc) and the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable

_STATIC = files("servicekit") / "static"


@dataclass(frozen=True)
class Brand:
    """Name, marks, colours and links of the company that publishes the APIs.

    ``logo`` and ``favicon`` are files (SVG or PNG) served by the service itself, so the
    documentation needs no network. ``contact`` and ``terms_of_service`` go into the
    OpenAPI document's ``info`` where a service declares none of its own.
    """

    name: str = "TradingSystem"
    logo: Traversable = _STATIC / "logo.svg"
    favicon: Traversable = _STATIC / "favicon.svg"
    primary_colour: str = "#0b1f3a"
    accent_colour: str = "#f5a623"
    background_colour: str = "#f4f6fa"
    font: str = "Helvetica, Arial, sans-serif"
    contact: dict[str, str] = field(
        default_factory=lambda: {
            "name": "TradingSystem platform team",
            "url": "https://tradingsystem.example/platform",
            "email": "platform@tradingsystem.example",
        }
    )
    terms_of_service: str | None = "https://tradingsystem.example/terms"

    def title(self, service_title: str) -> str:
        """The documents' title: "TradingSystem · Pricing"."""
        return f"{self.name} · {service_title}"


TRADING_SYSTEM = Brand()
