"""Who may call a service: OAuth 2.0 bearer JWTs and service-to-service API keys
(docs/security.md).

- ``Authenticator`` (a component create_app adds to every app) verifies the credentials a
  request presents; ``AuthenticationMiddleware`` runs it before the rate limit, so that a
  principal is counted and logged as itself rather than as its address.
- ``requires(*scopes)`` and ``public()`` are each route's declared policy; create_app
  refuses a route that declares neither.
- ``development_identity`` gives ``bazel run`` a key pair and a token to try the API with.
"""

from servicekit.auth.component import Authenticator
from servicekit.auth.dependencies import (
    API_KEY_HEADER,
    PrincipalDep,
    public,
    requires,
    undeclared_routes,
)
from servicekit.auth.development import DevelopmentIdentity, development_identity
from servicekit.auth.principal import Principal

__all__ = [
    "API_KEY_HEADER",
    "Authenticator",
    "DevelopmentIdentity",
    "Principal",
    "PrincipalDep",
    "development_identity",
    "public",
    "requires",
    "undeclared_routes",
]
