"""Settings of the analytics service, from ANALYTICS_* environment variables.

The database URL is ANALYTICS_DATABASE__URL; it has no default: the service needs it, or
a throwaway database of its own (main.py: under `bazel run`, or ANALYTICS_EMBEDDED_DATABASE).
"""

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from servicekit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", env_nested_delimiter="__")

    embedded_database: bool = Field(
        default=False,
        description="With no database URL, start a throwaway PostgreSQL loaded with sample "
        "trades, as `bazel run` does. Needs Debian's postgresql: not for images.",
    )
