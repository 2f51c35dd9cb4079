"""Each route's access policy, declared with FastAPI's security dependencies:

    @router.get("/v1/symbols", dependencies=[requires("analytics:read")])
    async def symbols(caller: PrincipalDep) -> ...

    @router.get("/v1/status", dependencies=[public()])

``requires`` is a ``Security`` dependency on the bearer and API key schemes, so the
OpenAPI document declares both schemes and each operation's scopes, and Swagger UI's
"Authorize" sends the token. Refusals are problem+json: 401 with ``WWW-Authenticate``
for missing or refused credentials, 403 for a missing scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Final

from fastapi import Depends, Request, Security, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.routing import BaseRoute

from servicekit.auth.principal import Principal, principal_of, refusal_of
from servicekit.errors import PROBLEM_TYPE, ProblemError

API_KEY_HEADER: Final = "X-API-Key"

# Declared for the OpenAPI document and Swagger UI; the credentials themselves were
# verified by the middleware already. auto_error=False: refusals are servicekit's problems.
bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token of the identity provider: `Authorization: Bearer <JWT>`. "
    "Each operation lists the scopes the token must grant.",
    auto_error=False,
)
api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="apiKey",
    description="For calling services: the API key issued to the service. Each operation "
    "lists the scopes the key must be granted.",
    auto_error=False,
)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _challenge(realm: str, scopes: list[str], error: str | None, description: str | None) -> str:
    """An RFC 6750 ``WWW-Authenticate: Bearer`` challenge."""
    parts = [f"realm={_quoted(realm)}"]
    if error is not None:
        parts.append(f"error={_quoted(error)}")
    if description is not None:
        parts.append(f"error_description={_quoted(description)}")
    if scopes:
        parts.append(f"scope={_quoted(' '.join(scopes))}")
    return "Bearer " + ", ".join(parts)


async def authorize(
    security_scopes: SecurityScopes,
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller, if the middleware authenticated it and it holds every scope asked for."""
    realm = request.app.state.auth.realm
    scopes = security_scopes.scopes
    principal = principal_of(request.scope)
    if principal is None:
        refusal = refusal_of(request.scope)
        if refusal is None:
            detail = (
                f"Send a bearer token (Authorization: Bearer) or an API key ({API_KEY_HEADER})."
            )
            challenge = _challenge(realm, scopes, None, None)
        else:
            detail = f"Credentials refused: {refusal.reason}."
            challenge = _challenge(realm, scopes, refusal.error, refusal.reason)
        raise ProblemError(
            401,
            title="Authentication required",
            detail=detail,
            problem_type=PROBLEM_TYPE + "unauthenticated",
            headers={"WWW-Authenticate": challenge},
        )
    missing = [scope for scope in scopes if scope not in principal.scopes]
    if missing:
        raise ProblemError(
            403,
            title="Insufficient scope",
            detail=f"This operation needs the scope(s) {', '.join(missing)}, which the "
            f"{'token' if principal.scheme == 'bearer' else 'API key'} does not grant.",
            problem_type=PROBLEM_TYPE + "insufficient-scope",
            headers={
                "WWW-Authenticate": _challenge(
                    realm, scopes, "insufficient_scope", "the token lacks a scope"
                )
            }
            if principal.scheme == "bearer"
            else None,
        )
    return principal


def requires(*scopes: str) -> params.Security:
    """The route's policy: an authenticated caller holding every one of ``scopes`` (none:
    any authenticated caller). Use in ``dependencies=[...]``, or as a parameter's
    ``Annotated[Principal, requires(...)]`` to get the caller."""
    return Security(authorize, scopes=list(scopes))


async def _public() -> None:
    """Marks a route open to anyone: its declared policy is no policy."""


def public() -> params.Depends:
    """The route's policy: anyone may call it, authenticated or not."""
    return Depends(_public)


PrincipalDep = Annotated[Principal, requires()]
"""The authenticated caller, as a handler parameter (any scope)."""


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def undeclared_routes(routes: Iterable[BaseRoute]) -> list[str]:
    """Routes among ``routes`` that declare no access policy (neither requires nor
    public), as "METHOD /path"; create_app refuses to build an app with any."""
    undeclared = []
    for route in routes:
        if isinstance(route, APIRoute):
            calls = set(_calls(route.dependant))
            if authorize in calls or _public in calls:
                continue
            methods = ",".join(sorted(route.methods or ()))
            undeclared.append(f"{methods} {route.path}")
        else:
            undeclared.append(f"{type(route).__name__} {getattr(route, 'path', route)!s}")
    return undeclared
