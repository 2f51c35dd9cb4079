"""The port registry: port_registry() checks a repository's ports; service macros take it.

Kept apart from service.bzl so a registry file loads nothing but this."""

load("//tools/fastapi_rules/private/service:ports.bzl", _port_registry = "port_registry", _service_port = "service_port")

port_registry = _port_registry
service_port = _service_port
