"""Bearer token verification: a JWT (RFC 7519) signed by the identity provider, checked
with PyJWT against the provider's key set, issuer, audience, lifetime and algorithms."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from typing import Any, Final

import jwt
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from servicekit.auth.jwks import KeySet
from servicekit.auth.principal import Principal, Refusal

# Longer than any token a provider issues, short enough that parsing stays cheap.
MAX_TOKEN_LENGTH: Final = 8192
REQUIRED_CLAIMS: Final = ("exp", "iss", "aud", "sub")
# Verified tokens are remembered until they expire, so a caller reusing its token (every
# service client does) pays for the signature check once. Bounded; cleared when full.
CACHE_SIZE: Final = 4096

_REASONS: Final[tuple[tuple[type[PyJWTError], str], ...]] = (
    # Most specific first: several are subclasses of others.
    (ExpiredSignatureError, "token expired"),
    (ImmatureSignatureError, "token not yet valid"),
    (InvalidAudienceError, "token is for another audience"),
    (InvalidIssuerError, "token from another issuer"),
    (InvalidSignatureError, "token signature does not verify"),
    (InvalidAlgorithmError, "token algorithm not allowed"),
    (DecodeError, "malformed token"),
)


def _reason(error: PyJWTError) -> str:
    if isinstance(error, MissingRequiredClaimError):
        return f"token lacks the {error.claim} claim"
    return next((text for kind, text in _REASONS if isinstance(error, kind)), "invalid token")


def _header(token: str) -> dict[str, Any]:
    """The token's header, read only to choose the key: PyJWT then parses the whole token
    strictly and verifies it. Read here rather than with jwt.get_unverified_header, which
    parses and checks every segment: that doubled the cost of a verification."""
    segment, dot, _ = token.partition(".")
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):  # nested deep enough to recurse
        raise Refusal("malformed token") from None
    if not dot or not isinstance(header, dict):
        raise Refusal("malformed token")
    return header


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """RFC 8693 and RFC 9068 ``scope`` (space-separated), or ``scp`` as some providers
    write it (a list, or a string)."""
    value = claims.get("scope", claims.get("scp", ""))
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise Refusal("token scope claim is neither a string nor a list of strings")


def _principal(claims: dict[str, Any]) -> Principal:
    subject = claims["sub"]
    if not isinstance(subject, str) or not 0 < len(subject) <= 256:
        raise Refusal("token subject is not a string of 1 to 256 characters")
    client = claims.get("client_id", claims.get("azp"))
    if client is not None and not isinstance(client, str):
        raise Refusal("token client_id is not a string")
    return Principal(subject=subject, client=client, scopes=_scopes(claims), scheme="bearer")


class BearerVerifier:
    """Turns a bearer token into a Principal, or raises Refusal saying why not."""

    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str],
        leeway_s: float,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.algorithms = frozenset(algorithms)
        self.leeway_s = leeway_s
        self._verified: dict[str, tuple[Principal, float, int]] = {}

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires, version = cached
            if version == self.keys.version and time.time() <= expires + self.leeway_s:
                return principal
            del self._verified[token]
        if len(token) > MAX_TOKEN_LENGTH:
            raise Refusal("malformed token")
        header = _header(token)
        algorithm = header.get("alg")
        # Checked before any key is looked up: "none" and HMAC never reach a key.
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise Refusal("token algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Refusal("malformed token")
        key = await self.keys.key(kid, algorithm)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except PyJWTError as error:
            raise Refusal(_reason(error)) from None
        except RecursionError:  # a signed payload nested deep enough to recurse
            raise Refusal("malformed token") from None
        principal = _principal(claims)
        if len(self._verified) >= CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, float(claims["exp"]), self.keys.version)
        return principal
