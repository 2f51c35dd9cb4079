"""The URL paths every service serves for the platform, the same in all of them.

Launchers, load balancers, Prometheus and the image test find these paths without asking
the service, and fastapi_service() writes them into each service's manifest and image
labels (``tools/fastapi_rules/private/service.bzl``): a change here is a change there.
"""

from __future__ import annotations

from typing import Final

LIVE_PATH: Final = "/health/live"
READY_PATH: Final = "/health/ready"
METRICS_PATH: Final = "/metrics"

# Probes and scrapes: never rate limited, and not counted as traffic in the request
# metrics, where a scrape every few seconds would drown the service's own routes.
PLATFORM_PATHS: Final = (LIVE_PATH, READY_PATH, METRICS_PATH)

# The API documentation (servicekit.docs): pages, the OpenAPI document, their assets.
DOCS_PATH: Final = "/docs"
REDOC_PATH: Final = "/redoc"
OPENAPI_PATH: Final = "/openapi.json"
DOCS_ASSETS_PREFIX: Final = "/_docs"

# Open to every caller whatever the service's access policy: probes and scrapes come from
# the platform, and the documentation is how a caller learns which credentials to send.
OPEN_PATHS: Final = (*PLATFORM_PATHS, DOCS_PATH, REDOC_PATH, OPENAPI_PATH)
OPEN_PREFIXES: Final = (DOCS_ASSETS_PREFIX + "/",)
