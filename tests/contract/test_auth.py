"""Who may call what (docs/security.md): reads and predictions need analytics:read,
trades analytics:write; the platform's paths are open. Every refusal is a problem, 401
with a WWW-Authenticate challenge naming the route's scope, or 403 for a missing scope;
accepted callers appear in the access line, credentials never in the log; a rate limit
counts an authenticated caller as itself from any address."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from contract_support import (
    ALLOWED_ORIGIN,
    PROBLEM_TYPE,
    RATE_LIMIT,
    READ,
    WRITE,
    Credentials,
    Service,
    assert_problem,
)
from servicekit.auth.development import DevelopmentIdentity

AUTH = pytest.mark.uses("auth")
# docs/security.md: the challenge's realm is the service's name (its manifest's).
REALM = json.loads(Path(os.environ["MANIFEST"]).read_text())["name"]
UNAUTHENTICATED = PROBLEM_TYPE + "unauthenticated"
INSUFFICIENT_SCOPE = PROBLEM_TYPE + "insufficient-scope"
NO_CREDENTIAL = "Send a bearer token (Authorization: Bearer) or an API key (X-API-Key)."
MALFORMED_HEADER = "malformed Authorization header: expected 'Bearer <token>'"


def _trade(_: datetime) -> dict[str, Any]:
    return {
        "client_trade_id": "auth-" + uuid.uuid4().hex[:12],
        "symbol": "AAPL",
        "size": "1",
        "price": "100",
        "executed_at": "2011-07-01T12:00:00Z",
    }


WINDOW = [0.0004, -0.0011, 0.0007, -0.0002, 0.0013] * 4
# Each endpoint, the scope it needs, a request it would serve, and what the case needs of
# the service beyond authentication.
ENDPOINTS = [
    ("GET", "/v1/symbols", READ, None, ()),
    (
        "GET",
        "/v1/symbols/AAPL/stats",
        READ,
        None,
        ("GET /v1/symbols/{symbol}/stats",),
    ),
    (
        "GET",
        "/v1/symbols/AAPL/candles",
        READ,
        None,
        ("GET /v1/symbols/{symbol}/candles",),
    ),
    (
        "POST",
        "/v1/predictions",
        READ,
        lambda _: {"returns": WINDOW},
        ("POST /v1/predictions",),
    ),
    (
        "POST",
        "/v1/predictions/batch",
        READ,
        lambda _: {"items": [{"returns": WINDOW}]},
        ("POST /v1/predictions/batch",),
    ),
    ("GET", "/v1/models", READ, None, ("GET /v1/models",)),
    ("POST", "/v1/trades", WRITE, _trade, ("POST /v1/trades",)),
    (
        "POST",
        "/v1/trades/batch",
        WRITE,
        lambda day: {"trades": [_trade(day)]},
        ("POST /v1/trades/batch",),
    ),
]
EACH_ENDPOINT = pytest.mark.parametrize(
    ("method", "path", "scope", "body"),
    [
        pytest.param(
            method, path, scope, body, marks=pytest.mark.uses("auth", *uses), id=f"{method}-{path}"
        )
        for method, path, scope, body, uses in ENDPOINTS
    ],
)


def _send(
    client: httpx.Client,
    method: str,
    path: str,
    body: Callable[[datetime], Any] | None,
    headers: Any = None,
) -> httpx.Response:
    day = datetime(2011, 7, 1, tzinfo=UTC)
    return client.request(method, path, json=None if body is None else body(day), headers=headers)


def _challenge(**parameters: str) -> str:
    return "Bearer " + ", ".join(f'{name}="{value}"' for name, value in parameters.items())


def assert_unauthenticated(
    answer: httpx.Response, reason: str | None, *, error: str = "invalid_token", scope: str = READ
) -> None:
    """The 401 of docs/security.md: without a credential (reason None), or with one
    refused for ``reason``."""
    body = assert_problem(answer, 401, UNAUTHENTICATED, title="Authentication required")
    if reason is None:
        assert body["detail"] == NO_CREDENTIAL, body
        assert answer.headers["www-authenticate"] == _challenge(realm=REALM, scope=scope)
    else:
        assert body["detail"] == f"Credentials refused: {reason}.", body
        assert answer.headers["www-authenticate"] == _challenge(
            realm=REALM, error=error, error_description=reason, scope=scope
        )


# No credential, a scope missing


@EACH_ENDPOINT
def test_no_credential_is_a_401_problem(
    anonymous: httpx.Client, method: str, path: str, scope: str, body: Any
) -> None:
    assert_unauthenticated(_send(anonymous, method, path, body), None, scope=scope)


@EACH_ENDPOINT
def test_a_token_lacking_the_scope_is_a_403_problem(
    anonymous: httpx.Client,
    credentials: Credentials,
    caller: str,
    method: str,
    path: str,
    scope: str,
    body: Any,
) -> None:
    other = WRITE if scope == READ else READ
    answer = _send(anonymous, method, path, body, credentials.bearer(other, subject=caller))
    problem = assert_problem(answer, 403, INSUFFICIENT_SCOPE, title="Insufficient scope")
    assert problem["detail"] == (
        f"This operation needs the scope(s) {scope}, which the token does not grant."
    )
    assert answer.headers["www-authenticate"] == _challenge(
        realm=REALM,
        error="insufficient_scope",
        error_description="the token lacks a scope",
        scope=scope,
    )


@EACH_ENDPOINT
def test_a_token_with_the_scope_is_served(
    anonymous: httpx.Client,
    credentials: Credentials,
    service: Service,
    caller: str,
    method: str,
    path: str,
    scope: str,
    body: Any,
) -> None:
    # Only the scope the route needs; the access line names the caller.
    request_id = uuid.uuid4().hex
    headers = {**credentials.bearer(scope, subject=caller), "X-Request-ID": request_id}
    answer = _send(anonymous, method, path, body, headers)
    assert answer.status_code < 300, answer.text
    line = service.access_line(request_id)
    assert (line["subject"], line["client_id"], line["auth"]) == (
        caller,
        "contract-suite",
        "bearer",
    ), line
    assert "auth_error" not in line


# Refused bearer tokens


@pytest.fixture(scope="session")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> DevelopmentIdentity:
    """A key pair the services do not trust."""
    return DevelopmentIdentity.load_or_create(Path(tmp_path_factory.mktemp("stranger")))


def _claims(credentials: Credentials, **changes: Any) -> dict[str, Any]:
    claims = credentials.claims(READ, WRITE, subject="refused")
    for name, value in changes.items():
        if value is None:
            del claims[name]
        else:
            claims[name] = value
    return claims


def _tampered(credentials: Credentials) -> str:
    header, _, signature = credentials.token(READ).split(".")
    other = credentials.token(READ, WRITE).split(".")[1]
    return f"{header}.{other}.{signature}"


def _now() -> int:
    return int(time.time())


# (case, the token, the reason of docs/security.md, "Verifying a bearer token").
REFUSED_TOKENS: list[tuple[str, Callable[[Credentials, DevelopmentIdentity], str], str]] = [
    ("not-a-jwt", lambda c, s: "not-a-jwt", "malformed token"),
    ("garbage-parts", lambda c, s: "a.b.c", "malformed token"),
    ("too-long", lambda c, s: c.token(READ) + "A" * 8192, "malformed token"),
    (
        "alg-none",
        lambda c, s: c.unsigned(_claims(c), {"alg": "none", "typ": "JWT"}),
        "token algorithm not allowed",
    ),
    ("hs256-public-key", lambda c, s: c.hmac_forgery(_claims(c)), "token algorithm not allowed"),
    (
        "unknown-key",
        lambda c, s: c.sign(_claims(c), identity=s, headers={"kid": s.kid}),
        "token signed with an unknown key",
    ),
    ("tampered", lambda c, s: _tampered(c), "token signature does not verify"),
    ("expired", lambda c, s: c.sign(_claims(c, exp=_now() - 120)), "token expired"),
    ("not-yet-valid", lambda c, s: c.sign(_claims(c, nbf=_now() + 600)), "token not yet valid"),
    (
        "other-issuer",
        lambda c, s: c.sign(_claims(c, iss="https://sso.example/elsewhere")),
        "token from another issuer",
    ),
    (
        "other-audience",
        lambda c, s: c.sign(_claims(c, aud="pricing")),
        "token is for another audience",
    ),
    ("no-exp", lambda c, s: c.sign(_claims(c, exp=None)), "token lacks the exp claim"),
    ("no-sub", lambda c, s: c.sign(_claims(c, sub=None)), "token lacks the sub claim"),
]


@AUTH
@pytest.mark.parametrize(
    ("token", "reason"),
    [(make, reason) for _, make, reason in REFUSED_TOKENS],
    ids=[case for case, _, _ in REFUSED_TOKENS],
)
def test_a_refused_token_is_a_401_problem(
    anonymous: httpx.Client,
    credentials: Credentials,
    stranger: DevelopmentIdentity,
    service: Service,
    token: Callable[[Credentials, DevelopmentIdentity], str],
    reason: str,
) -> None:
    request_id = uuid.uuid4().hex
    headers = {
        "Authorization": f"Bearer {token(credentials, stranger)}",
        "X-Request-ID": request_id,
    }
    assert_unauthenticated(anonymous.get("/v1/symbols", headers=headers), reason)
    line = service.access_line(request_id)
    assert line["auth_error"] == reason, line
    assert "subject" not in line, line


@AUTH
@pytest.mark.parametrize(
    "value",
    [b"Basic dXNlcjpwYXNz", b"Bearer", b"Bearer a b", b"Token abc", b"Bearer \xe9t\xe9"],
    ids=["basic", "no-token", "two-tokens", "other-scheme", "non-ascii"],
)
def test_a_malformed_authorization_header_is_a_401_problem(
    anonymous: httpx.Client, value: bytes
) -> None:
    answer = anonymous.get("/v1/symbols", headers=[(b"Authorization", value)])
    assert_unauthenticated(answer, MALFORMED_HEADER, error="invalid_request")


@AUTH
def test_two_authorization_headers_are_malformed(
    anonymous: httpx.Client, credentials: Credentials
) -> None:
    token = f"Bearer {credentials.token(READ)}".encode()
    answer = anonymous.get("/v1/symbols", headers=[(b"Authorization", token)] * 2)
    assert_unauthenticated(answer, MALFORMED_HEADER, error="invalid_request")


@AUTH
def test_the_scheme_name_is_case_insensitive(
    anonymous: httpx.Client, credentials: Credentials, service: Service, caller: str
) -> None:
    request_id = uuid.uuid4().hex
    headers = {
        "Authorization": f"bEARER {credentials.token(READ, subject=caller)}",
        "X-Request-ID": request_id,
    }
    assert anonymous.get("/v1/symbols", headers=headers).status_code == 200
    assert service.access_line(request_id)["subject"] == caller


@AUTH
def test_a_token_and_an_api_key_together_are_refused(
    anonymous: httpx.Client, credentials: Credentials
) -> None:
    headers = {
        **credentials.bearer(READ),
        "X-API-Key": credentials.api_keys["contract-service"],
    }
    assert_unauthenticated(
        anonymous.get("/v1/symbols", headers=headers),
        "send a bearer token or an API key, not both",
        error="invalid_request",
    )


# API keys


@AUTH
def test_an_api_key_is_accepted(
    anonymous: httpx.Client, credentials: Credentials, service: Service
) -> None:
    request_id = uuid.uuid4().hex
    headers = {"X-API-Key": credentials.api_keys["contract-reader"], "X-Request-ID": request_id}
    assert anonymous.get("/v1/symbols", headers=headers).status_code == 200
    line = service.access_line(request_id)
    assert (line["subject"], line["client_id"], line["auth"]) == (
        "contract-reader",
        "contract-reader",
        "api_key",
    ), line


@AUTH
@pytest.mark.uses("POST /v1/trades")
def test_an_api_key_lacking_the_scope_is_a_403_problem(
    anonymous: httpx.Client, credentials: Credentials
) -> None:
    headers = {"X-API-Key": credentials.api_keys["contract-reader"]}
    answer = anonymous.post("/v1/trades", json=_trade(datetime.now(UTC)), headers=headers)
    problem = assert_problem(answer, 403, INSUFFICIENT_SCOPE, title="Insufficient scope")
    assert problem["detail"] == (
        f"This operation needs the scope(s) {WRITE}, which the API key does not grant."
    )
    # A challenge is for bearer tokens: none for a key.
    assert "www-authenticate" not in answer.headers


@AUTH
@pytest.mark.parametrize(
    ("key", "reason", "error"),
    [
        (b"not-a-key-of-anyone", "unknown API key", "invalid_token"),
        (b"k" * 257, "malformed API key", "invalid_request"),
        (b"", "malformed API key", "invalid_request"),
        (b"cl\xe9", "malformed API key", "invalid_request"),
    ],
    ids=["unknown", "257-characters", "empty", "non-ascii"],
)
def test_a_refused_api_key_is_a_401_problem(
    anonymous: httpx.Client, key: bytes, reason: str, error: str
) -> None:
    answer = anonymous.get("/v1/symbols", headers=[(b"X-API-Key", key)])
    assert_unauthenticated(answer, reason, error=error)


# Open paths, and answers before any route's policy


@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/metrics"])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic x"}, {"X-API-Key": "no"}],
    ids=["none", "refused-token", "malformed", "unknown-key"],
)
def test_platform_paths_are_open(
    anonymous: httpx.Client, path: str, headers: dict[str, str]
) -> None:
    # Credentials sent there are not even read.
    answer = anonymous.get(path, headers=headers)
    assert answer.status_code == 200, answer.text


@pytest.mark.uses("API docs")
@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_the_api_documentation_is_open(anonymous: httpx.Client, path: str) -> None:
    answer = anonymous.get(path, headers={"Authorization": "Bearer not-a-jwt"})
    assert answer.status_code == 200, answer.text


# The API's operations, their scopes and their parameters, as each service's OpenAPI
# document must list them: the routes it really serves, no more.
DOCUMENTED = {
    ("post", "/v1/trades"): ("analytics:write", []),
    ("post", "/v1/trades/batch"): ("analytics:write", []),
    ("get", "/v1/symbols/{symbol}/stats"): ("analytics:read", ["symbol", "start", "end"]),
    ("get", "/v1/symbols/{symbol}/candles"): (
        "analytics:read",
        ["symbol", "interval", "start", "end", "limit", "offset"],
    ),
    ("get", "/v1/symbols"): ("analytics:read", ["limit", "offset"]),
    ("post", "/v1/predictions"): ("analytics:read", []),
    ("post", "/v1/predictions/batch"): ("analytics:read", []),
    ("get", "/v1/models"): ("analytics:read", []),
}


@pytest.mark.uses("API docs")
def test_the_openapi_document_lists_the_api(anonymous: httpx.Client) -> None:
    answer = anonymous.get("/openapi.json")
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    assert document["openapi"].startswith("3.")
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    api = {key: operation for key, operation in operations.items() if key[1].startswith("/v1/")}
    assert set(api) == set(DOCUMENTED)
    assert ("get", "/metrics") not in operations
    schemes = document["components"]["securitySchemes"]
    for key, (scope, parameters) in DOCUMENTED.items():
        operation = api[key]
        security = [name for requirement in operation["security"] for name in requirement]
        assert {schemes[name]["type"] for name in security} == {"http", "apiKey"}, key
        assert all(scopes == [scope] for r in operation["security"] for scopes in r.values()), key
        assert [p["name"] for p in operation.get("parameters", [])] == parameters, key
        if key[0] == "post":
            content = operation["requestBody"]["content"]
            assert list(content) == ["application/json"], key
        assert "422" in operation["responses"], key


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("DELETE", "/v1/symbols", 405)],
)
def test_unknown_paths_and_methods_need_no_credential(
    anonymous: httpx.Client, method: str, path: str, status: int
) -> None:
    # No route, no policy: the same 404 and 405 as with a token.
    assert_problem(anonymous.request(method, path), status)


@pytest.mark.uses("auth", "CORS")
def test_a_401_is_readable_by_an_allowed_origin(anonymous: httpx.Client) -> None:
    answer = anonymous.get("/v1/symbols", headers={"Origin": ALLOWED_ORIGIN})
    assert_unauthenticated(answer, None)
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


# What is logged


@AUTH
def test_no_credential_is_ever_logged(
    anonymous: httpx.Client, credentials: Credentials, service: Service, caller: str
) -> None:
    # Accepted and refused, bearer and key: the access lines name who, never with what.
    token = credentials.token(READ, subject=caller)
    refused = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    key = credentials.api_keys["contract-reader"]
    sent = [
        {"Authorization": f"Bearer {token}"},
        {"Authorization": f"Bearer {refused}"},
        {"X-API-Key": key},
        {"X-API-Key": key + "x"},
    ]
    request_ids = []
    for headers in sent:
        request_ids.append(uuid.uuid4().hex)
        anonymous.get("/v1/symbols", headers={**headers, "X-Request-ID": request_ids[-1]})
    lines = [service.access_line(request_id) for request_id in request_ids]
    assert [line.get("auth") or line.get("auth_error") for line in lines] == [
        "bearer",
        "token signature does not verify",
        "api_key",
        "unknown API key",
    ]
    log = service.log.read_text(errors="replace")
    # Nor the keys' hashes, which are the services' settings.
    hashes = [entry["sha256"] for entry in credentials.api_key_entries]
    for secret in (token, token.split(".")[2], refused, key, key + "x", *hashes):
        assert secret not in log


# Rate limits count the caller


def _exhaust(client: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    for _ in range(RATE_LIMIT):
        answer = client.get("/v1/symbols", headers=headers)
        assert answer.status_code == 200, answer.text
    return client.get("/v1/symbols", headers=headers)


@pytest.mark.uses("auth", "rate limits")
def test_a_caller_is_one_budget_from_any_address(
    anonymous: httpx.Client, credentials: Credentials, caller: str
) -> None:
    token = credentials.bearer(READ, subject=caller)
    assert _exhaust(anonymous, token).status_code == 429
    elsewhere = anonymous.get("/v1/symbols", headers={**token, "X-Forwarded-For": "192.0.2.7"})
    assert_problem(elsewhere, 429, PROBLEM_TYPE + "rate-limited")


@pytest.mark.uses("auth", "rate limits")
def test_callers_behind_one_address_have_budgets_of_their_own(
    anonymous: httpx.Client, credentials: Credentials, caller: str
) -> None:
    assert _exhaust(anonymous, credentials.bearer(READ, subject=caller)).status_code == 429
    other = anonymous.get("/v1/symbols", headers=credentials.bearer(READ, subject=caller + "-b"))
    assert other.status_code == 200, other.text


@pytest.mark.uses("auth", "rate limits")
def test_anonymous_callers_are_counted_by_address(anonymous: httpx.Client) -> None:
    # Refused and anonymous requests count against their address, before any policy.
    for _ in range(RATE_LIMIT):
        assert anonymous.get("/v1/symbols").status_code == 401
    assert_problem(anonymous.get("/v1/symbols"), 429, PROBLEM_TYPE + "rate-limited")
    refused = anonymous.get("/v1/symbols", headers={"Authorization": "Bearer not-a-jwt"})
    assert refused.status_code == 429
    # Another address (this case's alone): its own budget.
    other = anonymous.get("/v1/symbols", headers={"X-Forwarded-For": "192.0.2.8"})
    assert other.status_code == 401
