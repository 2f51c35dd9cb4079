"""Typed service settings, read from the environment with one prefix per service.

A service subclasses ``ServiceSettings`` and sets its own prefix::

    class Settings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="PRICING_")
        feed_url: str = "http://localhost:4200"

Secrets are ``SecretStr`` fields: outside development they must be set, never left at
their defaults, so a forgotten variable stops the service at start instead of in an
incident.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, SecretStr, StringConstraints, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "staging", "production"]


class StartupError(RuntimeError):
    """A component could not start for a reason its message says in full (a database that
    never answered). ``servicekit.serve`` prints it as one line, ``<service>: cannot start:
    <component>: <message>``, instead of a traceback from the lifespan; with ``setting``
    (``("database", "url")``) the line ends naming that setting's variable."""

    def __init__(self, message: str, *, setting: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.setting = setting


class ConfigurationError(StartupError):
    """A setting the service cannot start without is missing or wrong. ``servicekit.serve``
    prints its message as one line and exits, instead of a traceback from the lifespan."""


class DatabaseSettings(BaseModel):
    """PostgreSQL connection settings (``<PREFIX>DATABASE__URL`` and so on)."""

    url: SecretStr | None = None
    min_pool_size: int = Field(default=1, ge=0)
    max_pool_size: int = Field(default=10, ge=1)
    statement_timeout_ms: int = Field(default=5_000, ge=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    startup_retry_s: float = Field(default=30.0, ge=0)


class RateLimitSettings(BaseModel):
    """Per client and route; ``storage_url`` as in the ``limits`` package."""

    enabled: bool = True
    default: str = "100/second"
    storage_url: str = "memory://"


# Signature algorithms a bearer token may use: public-key ones only. "none" would accept
# unsigned tokens, and an HMAC algorithm verified with a public key (which anyone can
# read from the JWKS) would accept tokens anyone can sign.
ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

Scope = Annotated[str, StringConstraints(pattern=r"^[\x21\x23-\x5B\x5D-\x7E]+$")]
"""An OAuth 2.0 scope token (RFC 6749 section 3.3), e.g. ``analytics:read``."""


def _allowed_algorithms(algorithms: list[str]) -> list[str]:
    refused = [name for name in algorithms if name not in ASYMMETRIC_ALGORITHMS]
    if refused:
        raise ValueError(
            f"algorithms {refused} are not allowed: only public-key algorithms "
            f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); never none or HMAC"
        )
    if not algorithms:
        raise ValueError("at least one algorithm must be allowed")
    return algorithms


def _sha256_hex(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError("the SHA-256 of the key as 64 lower-case hex digits")
    return value


class ApiKeySettings(BaseModel):
    """One calling service's API key, stored as its SHA-256 only (the key is 32 random
    bytes, so a fast hash suffices: there is no password to guess). Make one with
    ``tools/bazel run //tools/fastapi_rules/runtime:api_key -- CLIENT --scope SCOPE``."""

    client: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
    sha256: Annotated[str, AfterValidator(_sha256_hex)]
    scopes: list[Scope] = []


class AuthSettings(BaseModel):
    """Who may call the service (``<PREFIX>AUTH__JWKS_URL`` and so on; docs/security.md).

    Bearer tokens are JWTs of an identity provider, verified against its JSON Web Key Set
    from ``jwks_file`` or ``jwks_url``; ``issuer`` and ``audience`` must match their
    ``iss`` and ``aud``. Without a JWKS every bearer token is refused, which only
    development and tests allow. Services calling services may present an API key
    (``X-API-Key``) instead, listed in ``api_keys``.
    """

    jwks_file: Path | None = None
    jwks_url: Annotated[str, StringConstraints(pattern=r"^https?://")] | None = None
    issuer: str | None = None
    audience: str | None = Field(
        default=None, description="expected `aud`; default the service name"
    )
    algorithms: Annotated[list[str], AfterValidator(_allowed_algorithms)] = [
        "RS256",
        "PS256",
        "ES256",
        "EdDSA",
    ]
    leeway_s: float = Field(default=30.0, ge=0, le=300)
    # A JWKS is fetched again after cache_s, and when a token names a key ID it lacks
    # (rotation), but at most once per refresh_interval_s: unknown key IDs cannot make
    # the service flood its identity provider.
    jwks_cache_s: float = Field(default=600.0, gt=0)
    jwks_refresh_interval_s: float = Field(default=30.0, ge=0)
    jwks_timeout_s: float = Field(default=5.0, gt=0)
    api_keys: list[ApiKeySettings] = []

    @model_validator(mode="after")
    def _one_key_source_with_an_issuer(self) -> Self:
        if self.jwks_file is not None and self.jwks_url is not None:
            raise ValueError("set jwks_file or jwks_url, not both")
        if self.has_jwks and not self.issuer:
            raise ValueError("a JWKS needs the issuer its tokens must name (auth.issuer)")
        clients = [key.client for key in self.api_keys]
        if len(set(clients)) != len(clients):
            raise ValueError("each API key client may appear once")
        return self

    @property
    def has_jwks(self) -> bool:
        return self.jwks_file is not None or self.jwks_url is not None


class ServiceSettings(BaseSettings):
    """Settings every service has. Nested fields use ``__``: ``PRICING_RATE_LIMIT__DEFAULT``."""

    model_config = SettingsConfigDict(env_prefix="SERVICE_", env_nested_delimiter="__")

    environment: Environment = "development"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = True
    cors_origins: list[str] = []
    max_body_bytes: int = Field(default=1_048_576, ge=0)
    drain_seconds: float = Field(default=5.0, ge=0)
    health_check_timeout_s: float = Field(default=2.0, gt=0)
    public_url: str | None = None
    rate_limit: RateLimitSettings = RateLimitSettings()
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()

    def env_name(self, *path: str) -> str:
        """The environment variable of a setting: ``env_name("database", "url")`` is
        ``PRICING_DATABASE__URL`` for the prefix ``PRICING_``."""
        prefix = self.model_config.get("env_prefix") or ""
        delimiter = self.model_config.get("env_nested_delimiter") or "__"
        return (prefix + delimiter.join(path)).upper()

    @model_validator(mode="after")
    def _secrets_are_set_outside_development(self) -> Self:
        if self.environment in ("development", "test"):
            return self
        unset = [
            name
            for name, info in type(self).model_fields.items()
            if info.annotation in (SecretStr, SecretStr | None)
            and getattr(self, name) == info.default
        ]
        if unset:
            prefix = self.model_config.get("env_prefix", "")
            names = ", ".join(f"{prefix}{name}".upper() for name in unset)
            raise ValueError(
                f"set {names}: secrets may not keep their defaults in {self.environment}"
            )
        return self
