"""The identity provider's signing keys: a JSON Web Key Set (RFC 7517) from a file or a
URL, cached, and fetched again when it is old or when a token names a key it lacks.

Keys rotate without a restart: a provider publishes its next key before signing with it,
so a token with an unknown ``kid`` makes the set refresh, at most once per
``refresh_interval_s`` so that made-up key IDs cannot turn the service into a flood of
requests to its provider. Fetching never blocks the event loop (httpx's async client, a
thread for the file), and concurrent requests share one fetch.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from servicekit.auth.principal import Refusal
from servicekit.logs import get_logger

log = get_logger("servicekit.auth")

MAX_JWKS_BYTES: Final = 1_048_576

# Which key types and curves may verify which algorithm: the token's header names the
# algorithm, and a key of another type must never be made to verify it.
_KEY_TYPES: Final[Mapping[str, tuple[str, str | None]]] = {
    **{f"{family}{bits}": ("RSA", None) for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}
_EDDSA_CURVES: Final = frozenset({"Ed25519", "Ed448"})


class JwksError(Exception):
    """The key set could not be read: unreachable, not JSON, or no usable key in it."""


def _usable(jwk: Any) -> bool:
    """A public signing key of a type some allowed algorithm uses. Symmetric keys ("oct")
    are never trusted, and a key with private parts means the set is not a public one."""
    return (
        isinstance(jwk, dict)
        and jwk.get("kty") in ("RSA", "EC", "OKP")
        and jwk.get("use", "sig") == "sig"
        and "d" not in jwk
        and isinstance(jwk.get("kid", ""), str)
    )


def parse_jwks(document: bytes) -> dict[str | None, dict[str, Any]]:
    """The usable keys of a JWKS document by key ID (None for a key without one)."""
    try:
        data = json.loads(document)
    except ValueError as error:
        raise JwksError(f"not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise JwksError('not a JWK Set: no "keys" list')
    keys = {jwk.get("kid"): jwk for jwk in data["keys"] if _usable(jwk)}
    if not keys:
        raise JwksError("no public signing key (RSA, EC or OKP with use sig) in it")
    return keys


class KeySet:
    """Signing keys by key ID, from ``source`` (a file path or an http(s) URL)."""

    def __init__(
        self,
        source: Path | str,
        *,
        cache_s: float,
        refresh_interval_s: float,
        timeout_s: float,
    ) -> None:
        self.source = source
        self.cache_s = cache_s
        self.refresh_interval_s = refresh_interval_s
        self.timeout_s = timeout_s
        self.version = 0  # changes whenever the keys do, so verified tokens are re-checked
        self.fetches = 0
        self._keys: dict[str | None, dict[str, Any]] = {}
        self._prepared: dict[tuple[str | None, str], PyJWK] = {}
        self._loaded_at = -float("inf")
        self._attempted_at = -float("inf")
        self._refreshing: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    @property
    def loaded(self) -> bool:
        return bool(self._keys)

    @property
    def key_ids(self) -> list[str | None]:
        return list(self._keys)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _read(self) -> bytes:
        if isinstance(self.source, Path):
            return await asyncio.to_thread(self.source.read_bytes)
        if self._http is None:
            # Redirects are not followed: the configured URL is the one trusted.
            self._http = httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False)
        async with self._http.stream("GET", self.source) as response:
            if response.status_code != 200:
                raise JwksError(f"{self.source} answered {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksError(f"{self.source} sent more than {MAX_JWKS_BYTES} bytes")
            return bytes(body)

    async def _fetch(self) -> None:
        self._attempted_at = time.monotonic()
        self.fetches += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                keys = parse_jwks(await self._read())
        except (OSError, httpx.HTTPError, JwksError, TimeoutError) as error:
            # The keys held so far stay in use: a provider's outage must not lock out
            # callers whose tokens the service can still verify.
            detail = str(error) or type(error).__name__
            log.warning("JWKS not refreshed", source=str(self.source), error=detail)
            if not self._keys:
                raise JwksError(detail) from None
            return
        if keys != self._keys:
            log.info(
                "JWKS loaded",
                source=str(self.source),
                key_ids=[kid for kid in keys if kid is not None],
            )
            self._keys = keys
            self._prepared = {}
            self.version += 1
        self._loaded_at = time.monotonic()

    async def refresh(self, *, force: bool = False) -> bool:
        """Fetches the set again unless it was tried less than ``refresh_interval_s`` ago
        (``force``: at start). Concurrent callers wait for one fetch. Whether it ran."""
        task = self._refreshing
        if task is None:
            if not force and time.monotonic() - self._attempted_at < self.refresh_interval_s:
                return False
            task = self._refreshing = asyncio.ensure_future(self._fetch())
            task.add_done_callback(self._fetched)
        # Shielded: a caller that gives up (a client disconnecting) must not cancel the
        # fetch other requests wait for.
        await asyncio.shield(task)
        return True

    def _fetched(self, task: asyncio.Task[None]) -> None:
        if self._refreshing is task:
            self._refreshing = None
        if not task.cancelled():
            task.exception()  # each waiter has it raised; none is left unretrieved

    async def key(self, kid: str | None, algorithm: str) -> PyJWK:
        """The key that must verify a token of ``algorithm`` naming ``kid``; refreshes the
        set when the key is unknown or the set is older than ``cache_s``."""
        stale = time.monotonic() - self._loaded_at > self.cache_s
        if stale or self._find(kid) is None:
            try:
                await self.refresh()
            except JwksError:
                raise Refusal("the identity provider's keys are unavailable") from None
        jwk = self._find(kid)
        if jwk is None:
            raise Refusal(
                "token signed with an unknown key" if kid is not None else "token names no key"
            )
        return self._prepare(kid if kid is not None else jwk.get("kid"), jwk, algorithm)

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        if kid is not None:
            return self._keys.get(kid)
        # A token without a key ID can only mean the set's one key.
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    def _prepare(self, kid: str | None, jwk: dict[str, Any], algorithm: str) -> PyJWK:
        prepared = self._prepared.get((kid, algorithm))
        if prepared is not None:
            return prepared
        key_type, curve = _KEY_TYPES[algorithm]
        if jwk.get("kty") != key_type or jwk.get("alg", algorithm) != algorithm:
            raise Refusal(f"the token's key is not a key for {algorithm}")
        if curve is not None and jwk.get("crv") != curve:
            raise Refusal(f"the token's key is not a key for {algorithm}")
        if algorithm == "EdDSA" and jwk.get("crv") not in _EDDSA_CURVES:
            raise Refusal("the token's key is not a key for EdDSA")
        try:
            # The key is bound to the algorithm here: PyJWT then verifies with this
            # algorithm only, whatever else the token's header says.
            prepared = PyJWK(jwk, algorithm=algorithm)
        except (PyJWKError, ValueError, TypeError) as error:
            log.warning("unusable key in the JWKS", kid=kid, error=str(error))
            raise Refusal("the token's key is unusable") from None
        self._prepared[(kid, algorithm)] = prepared
        return prepared
