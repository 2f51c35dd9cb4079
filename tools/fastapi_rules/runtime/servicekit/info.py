"""What the BUILD file's fastapi_service() says about the service, at run time.

The macro sets these variables for `bazel run`, the tests and the image, so the BUILD file
stays the one place that names, versions and brands a service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    title: str
    version: str
    description: str

    @classmethod
    def from_environment(cls) -> ServiceInfo:
        name = os.environ.get("FASTAPI_SERVICE_NAME", "service")
        return cls(
            name=name,
            title=os.environ.get("FASTAPI_SERVICE_TITLE", name.replace("_", " ").title()),
            version=os.environ.get("FASTAPI_SERVICE_VERSION", "0.0.0"),
            description=os.environ.get("FASTAPI_SERVICE_DESCRIPTION", ""),
        )
