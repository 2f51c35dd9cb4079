"""Test helpers for services: an HTTP client with the app's lifespan running, and a
throwaway PostgreSQL server (pytest plugin ``servicekit.testing.postgres``)."""

import socket

from servicekit.testing.client import app_client


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


__all__ = ["app_client", "free_port"]
