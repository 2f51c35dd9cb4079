"""The single source of truth for service ports. Every service's port comes from here:
the server's port (uvicorn's --port, node's PORT), the image's exposed port and labels,
and the service manifest.

FastAPI services use 4100-4199 and Express services 4200-4299 (docs/ports.md, kept in
step by //docs:ports_md_test). New services: tools/bazel run //services:new_service -- NAME
"""

load("//tools/fastapi_rules:ports.bzl", "port_registry")

PORTS = port_registry(
    fastapi = {
        "analytics": 4101,
        "template": 4100,
    },
    express = {
        # The Express twin of analytics (4101): the same API, 100 ports up.
        "analytics-express": 4201,
    },
    source = "services/ports.bzl",
)
