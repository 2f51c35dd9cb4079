"""The single source of truth for service ports. Every service's port comes from here:
uvicorn's --port, the image's exposed port and labels, and the service manifest.

FastAPI services use 4100-4199 and Express services 4200-4299 (docs/ports.md, kept in
step by //docs:ports_md_test). New services: tools/bazel run //services:new_service -- NAME
"""

load("//tools/fastapi_rules:ports.bzl", "port_registry")

PORTS = port_registry(
    fastapi = {
        "analytics": 4101,
        "template": 4100,
    },
    express = {},
    source = "services/ports.bzl",
)
