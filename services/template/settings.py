"""Settings of this service, from TEMPLATE_* environment variables."""

from pydantic_settings import SettingsConfigDict
from servicekit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TEMPLATE_", env_nested_delimiter="__")

    currency: str = "USD"
