"""FastAPI services: one fastapi_service() per service, ports from a port registry, and a
scaffolder that copies a template service, and a launcher that starts them all."""

load("//tools/fastapi_rules/private/service:launcher.bzl", _services_launcher = "services_launcher")
load("//tools/fastapi_rules/private/service:ports.bzl", _port_registry = "port_registry", _service_port = "service_port")
load("//tools/fastapi_rules/private/service:scaffold.bzl", _new_service_command = "new_service_command")
load("//tools/fastapi_rules/private/service:service.bzl", _fastapi_service = "fastapi_service")

fastapi_service = _fastapi_service
new_service_command = _new_service_command
port_registry = _port_registry
service_port = _service_port
services_launcher = _services_launcher
