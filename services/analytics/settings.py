"""Settings of the analytics service, from ANALYTICS_* environment variables.

The database URL is ANALYTICS_DATABASE__URL; it has no default: the service needs it.
"""

from pydantic_settings import SettingsConfigDict
from servicekit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", env_nested_delimiter="__")
