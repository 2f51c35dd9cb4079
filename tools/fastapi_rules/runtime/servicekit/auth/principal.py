"""The authenticated caller of a request, and where the middleware leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from starlette.types import Scope

# Scope keys: the middleware authenticates before the rate limit and routing, and leaves
# its result here for the rate limit, the access line and the routes' policy.
PRINCIPAL: Final = "servicekit.principal"
REFUSAL: Final = "servicekit.auth_refusal"

Scheme = Literal["bearer", "api_key"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person or service through an identity provider's token
    (``bearer``), or a calling service through its API key (``api_key``).

    ``subject`` is the token's ``sub``, or the client name of an API key; ``client`` the
    OAuth client the token was issued to (``client_id``, else ``azp``), or the API key's
    client name; ``scopes`` what it may do.
    """

    subject: str
    client: str | None
    scopes: frozenset[str]
    scheme: Scheme

    @property
    def rate_limit_key(self) -> str:
        # Prefixed, so that no subject can share a counter with an address or an API key.
        return f"{self.scheme}:{self.subject}"


class Refusal(Exception):
    """Credentials were presented and refused. ``reason`` goes to the client and the access
    line: it never contains the credential itself. ``error`` is RFC 6750's code."""

    def __init__(
        self, reason: str, error: Literal["invalid_request", "invalid_token"] = "invalid_token"
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def principal_of(scope: Scope) -> Principal | None:
    return scope.get(PRINCIPAL)


def refusal_of(scope: Scope) -> Refusal | None:
    return scope.get(REFUSAL)
