"""fastapi_service bound to this repository's port registry."""

load("@fastapi_rules//tools/fastapi_rules:defs.bzl", _fastapi_service = "fastapi_service")
load("//:ports.bzl", "PORTS")

def fastapi_service(name, **kwargs):
    """fastapi_rules' fastapi_service with this repository's ports.

    Args:
      name: the service name, its key in ports.bzl.
      **kwargs: fastapi_service's other arguments.
    """
    _fastapi_service(name = name, ports = PORTS, **kwargs)
