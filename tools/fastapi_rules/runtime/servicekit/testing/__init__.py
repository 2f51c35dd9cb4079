"""Test helpers for services: an HTTP client with the app's lifespan running, tokens the
app trusts, and a throwaway PostgreSQL server (pytest plugin ``servicekit.testing.postgres``)."""

from servicekit.postgres_server import free_port
from servicekit.testing.auth import TokenIssuer
from servicekit.testing.client import app_client

__all__ = ["TokenIssuer", "app_client", "free_port"]
