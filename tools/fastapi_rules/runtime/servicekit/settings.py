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

from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "staging", "production"]


class ConfigurationError(RuntimeError):
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
