"""Settings of the analytics service, from ANALYTICS_* environment variables.

The database URL is ANALYTICS_DATABASE__URL; it has no default: the service needs it, or
a throwaway database of its own (main.py: under `bazel run`, or ANALYTICS_EMBEDDED_DATABASE).
"""

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict
from servicekit import ServiceSettings


class InferenceSettings(BaseModel):
    """Micro-batching of model calls (ANALYTICS_INFERENCE__WINDOW_S, ..._MAX_BATCH).

    ``window_s=0`` with ``max_batch=1`` switches it off, one model call per request: the
    baseline bench/analytics compares batching against.
    """

    # At most a second: a window written in milliseconds by mistake (2) is refused.
    window_s: float = Field(default=0.002, ge=0, le=1)
    max_batch: int = Field(default=64, ge=1)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", env_nested_delimiter="__")

    embedded_database: bool = Field(
        default=False,
        description="With no database URL, start a throwaway PostgreSQL loaded with sample "
        "trades, as `bazel run` does. Needs Debian's postgresql: not for images.",
    )
    inference: InferenceSettings = InferenceSettings()
