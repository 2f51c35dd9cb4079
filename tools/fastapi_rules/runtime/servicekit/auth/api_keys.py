"""Service-to-service API keys: the calling service sends its key in ``X-API-Key``; the
called service holds only each key's SHA-256 (``<PREFIX>AUTH__API_KEYS``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

from servicekit.auth.principal import Principal, Refusal
from servicekit.settings import ApiKeySettings

# A key is secrets.token_urlsafe(32): 43 characters. Longer input is refused unhashed.
MAX_KEY_LENGTH: Final = 256


def new_api_key() -> tuple[str, str]:
    """A fresh key (256 random bits) and the SHA-256 to configure for it, in hex."""
    key = secrets.token_urlsafe(32)
    return key, hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The configured keys; ``verify`` finds the caller a key belongs to."""

    def __init__(self, entries: Sequence[ApiKeySettings]) -> None:
        self._entries = [
            (
                bytes.fromhex(entry.sha256),
                Principal(
                    subject=entry.client,
                    client=entry.client,
                    scopes=frozenset(entry.scopes),
                    scheme="api_key",
                ),
            )
            for entry in entries
        ]

    @property
    def clients(self) -> list[str]:
        return [principal.subject for _, principal in self._entries]

    def verify(self, key: str) -> Principal:
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            raise Refusal("malformed API key", error="invalid_request")
        digest = hashlib.sha256(key.encode()).digest()
        found = None
        # Every entry is compared, each in constant time: neither the time taken nor
        # where a search stopped tells a guesser how close a key came.
        for expected, principal in self._entries:
            if hmac.compare_digest(digest, expected):
                found = principal
        if found is None:
            raise Refusal("unknown API key")
        return found
