"""The ASGI app: fastapi_service(app = "main:app") serves it.

Under `bazel run` with no TEMPLATE_AUTH__JWKS_URL or _FILE, the service trusts the
development identity and prints a token to try it with (docs/security.md); tests and
images never do.
"""

from fastapi import FastAPI
from servicekit import create_app, development_identity

from .api import READ_SCOPE, router
from .settings import Settings

# A request to try the service with, printed beside the development token.
EXAMPLE = (
    "curl -s -X POST {url}/v1/notional -H 'Authorization: Bearer {token}' "
    "-H 'content-type: application/json' "
    """-d '{"symbol": "AAPL", "quantity": "100", "price": "187.25"}'"""
)


def build_app(settings: Settings) -> FastAPI:
    """The app for these settings; tests build one that trusts their own tokens."""
    # Name, title, version and description come from the BUILD file's fastapi_service().
    return create_app(settings, routers=[router])


settings = Settings()
development_identity(settings, scopes=[READ_SCOPE], examples=[EXAMPLE])
app = build_app(settings)
