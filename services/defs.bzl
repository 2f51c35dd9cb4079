"""The service macros of this repository: fastapi_rules' own, bound to services/ports.bzl.

Services load fastapi_service and express_service from here, so that the port registry is
named once.
"""

load("//services:ports.bzl", "PORTS")
load("//tools/fastapi_rules:defs.bzl", _express_service = "express_service", _fastapi_service = "fastapi_service")

def fastapi_service(name, **kwargs):
    """fastapi_service() of tools/fastapi_rules with this repository's port registry.

    Args:
      name: the service name, its key in services/ports.bzl.
      **kwargs: fastapi_service's other arguments (docs/rules.md).
    """
    _fastapi_service(name = name, ports = PORTS, **kwargs)

def express_service(name, **kwargs):
    """express_service() of tools/fastapi_rules with this repository's port registry.

    Args:
      name: the service name, its key in the express dict of services/ports.bzl.
      **kwargs: express_service's other arguments (docs/rules.md).
    """
    _express_service(name = name, ports = PORTS, **kwargs)
