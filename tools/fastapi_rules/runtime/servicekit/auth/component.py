"""The auth component: built from a service's ``auth`` settings, it loads the key set
before serving, reports readiness, and authenticates the credentials of each request."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from servicekit.auth.api_keys import ApiKeys
from servicekit.auth.jwks import JwksError, KeySet
from servicekit.auth.principal import Principal, Refusal
from servicekit.auth.tokens import BearerVerifier
from servicekit.logs import get_logger
from servicekit.settings import ConfigurationError, ServiceSettings

log = get_logger("servicekit.auth")

# Where a service may run with no identity provider: bearer tokens are then all refused.
KEYLESS_ENVIRONMENTS: Final = ("development", "test")


class Authenticator:
    """Verifies a request's bearer token or API key; a create_app component."""

    name = "auth"

    def __init__(self, settings: ServiceSettings, *, service: str) -> None:
        auth = settings.auth
        self.realm = service
        self.environment = settings.environment
        self.source = auth.jwks_url or auth.jwks_file
        self.keys = (
            KeySet(
                auth.jwks_url or auth.jwks_file,  # type: ignore[arg-type]
                cache_s=auth.jwks_cache_s,
                refresh_interval_s=auth.jwks_refresh_interval_s,
                timeout_s=auth.jwks_timeout_s,
            )
            if auth.has_jwks
            else None
        )
        self.bearer = (
            BearerVerifier(
                self.keys,
                issuer=auth.issuer or "",
                audience=auth.audience or service,
                algorithms=auth.algorithms,
                leeway_s=auth.leeway_s,
            )
            if self.keys is not None
            else None
        )
        self.api_keys = ApiKeys(auth.api_keys)

    def configuration_errors(self, settings: ServiceSettings) -> list[str]:
        """What the service lacks to start (servicekit.serve says it in one line each):
        outside development and tests, the identity provider's keys."""
        if isinstance(self.source, Path) and not self.source.is_file():
            variable = settings.env_name("auth", "jwks_file")
            return [f"{variable}={self.source}: no such file; point it at the JWKS (JSON)"]
        if self.keys is not None or self.environment in KEYLESS_ENVIRONMENTS:
            return []
        url, file = settings.env_name("auth", "jwks_url"), settings.env_name("auth", "jwks_file")
        issuer = settings.env_name("auth", "issuer")
        return [
            f"{url} (or {file}) is not set: in {self.environment} bearer tokens are verified "
            f"with the identity provider's keys; set it and {issuer} (docs/security.md)"
        ]

    async def start(self) -> None:
        # Also checked here, for servers other than servicekit.serve.
        if self.keys is None and self.environment not in KEYLESS_ENVIRONMENTS:
            raise ConfigurationError(
                f"{self.environment} needs an identity provider's JWKS (auth.jwks_url or "
                "auth.jwks_file) to verify bearer tokens"
            )
        if self.keys is None:
            log.warning(
                "no JWKS configured: every bearer token is refused",
                environment=self.environment,
                api_key_clients=self.api_keys.clients,
            )
            return
        try:
            await self.keys.refresh(force=True)
        except JwksError as error:
            if not isinstance(self.source, str):
                raise ConfigurationError(f"JWKS file {self.source}: {error}") from None
            # A provider that is down now may be up in a moment: not ready until then
            # (check() retries), rather than a service that never starts.
            log.error("JWKS unavailable at start", source=self.source, error=str(error))
        assert self.bearer is not None
        log.info(
            "auth configured",
            jwks=str(self.source),
            issuer=self.bearer.issuer,
            audience=self.bearer.audience,
            algorithms=sorted(self.bearer.algorithms),
            api_key_clients=self.api_keys.clients,
        )

    async def stop(self) -> None:
        if self.keys is not None:
            await self.keys.close()

    async def check(self) -> None:
        if self.keys is None or self.keys.loaded:
            return
        await self.keys.refresh()
        if not self.keys.loaded:
            raise RuntimeError(f"no signing keys from {self.source} yet")

    async def authenticate(self, authorization: bytes | None, api_key: bytes | None) -> Principal:
        """The principal the credentials prove, or Refusal. Called with at least one."""
        if authorization is not None and api_key is not None:
            raise Refusal("send a bearer token or an API key, not both", error="invalid_request")
        if api_key is not None:
            try:
                return self.api_keys.verify(api_key.decode("ascii"))
            except UnicodeDecodeError:
                raise Refusal("malformed API key", error="invalid_request") from None
        assert authorization is not None
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token or not token.isascii() or " " in token:
            raise Refusal(
                "malformed Authorization header: expected 'Bearer <token>'",
                error="invalid_request",
            )
        if self.bearer is None:
            raise Refusal("this service has no identity provider keys: bearer tokens are refused")
        return await self.bearer.verify(token)
