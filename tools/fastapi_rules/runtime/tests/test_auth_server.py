"""servicekit's authentication attacked over real HTTP: the sample app served by uvicorn
(servicekit.serve) on loopback, its identity provider's JWKS served by a local HTTP server.

Tokens are made here with PyJWT and this module's own keys, or by hand where PyJWT would
refuse to make them (``alg: none``, HS256 keyed with the RSA public key): nothing of
servicekit's own minting is used to test servicekit. Every refusal must be a problem+json,
never a 500, and no credential may appear in the service's log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from servicekit.testing import free_port

FACTORY = "tools.fastapi_rules.runtime.tests.sample_app:build"
ISSUER = "https://idp.test/realms/trading"
AUDIENCE = "sample"
PROBLEM = "application/problem+json"
SERVICE_KEY = "k3y-of-the-pricing-service-" + "x" * 16
REFRESH_INTERVAL_S = 4.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    private: Any
    algorithm: str

    @property
    def jwk(self) -> dict[str, Any]:
        to_jwk = RSAAlgorithm.to_jwk if self.algorithm.startswith("RS") else ECAlgorithm.to_jwk
        return {**to_jwk(self.private.public_key(), as_dict=True), "kid": self.kid, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "client_id": "trading-ui",
        "scope": "sample:read",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


@dataclass
class Credentials:
    """Every credential a test sent: none may appear in the service's log."""

    sent: set[str] = field(default_factory=set)

    def token(self, key: SigningKey, headers: dict[str, Any] | None = None, **changes: Any) -> str:
        token = jwt.encode(
            claims(**changes),
            key.private,
            algorithm=key.algorithm,
            headers={"kid": key.kid, **(headers or {})},
        )
        self.sent.add(token)
        return token

    def raw(self, header: dict[str, Any], payload: dict[str, Any], signature: bytes) -> str:
        """A token assembled by hand, for what PyJWT refuses to sign."""
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
        )
        token = signing_input + "." + b64url(signature)
        self.sent.add(token)
        return token


class JwksServer:
    """The identity provider's JWKS endpoint over HTTP; counts what it served."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.document = b""
        self.fetches = 0
        self.publish(keys)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(outer.document)))
                self.end_headers()
                self.wfile.write(outer.document)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, keys: list[SigningKey]) -> None:
        self.document = json.dumps({"keys": [key.jwk for key in keys]}).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Service:
    base: str
    log: Path
    process: subprocess.Popen[bytes]
    started: float

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def access(self, request_id: str) -> dict[str, Any]:
        """The access line of a request; written once its response has left, so waited for."""
        deadline = time.monotonic() + 5
        while True:
            for line in self.lines():
                if line.get("event") == "request" and line.get("request_id") == request_id:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no access line for request {request_id}")
            time.sleep(0.02)


@contextmanager
def served(tmp: Path, **env: str) -> Iterator[Service]:
    """The sample app under servicekit.serve on a free loopback port; its log to a file
    (a pipe nobody reads would stall it)."""
    port = free_port()
    log = tmp / f"service-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "servicekit.serve", "--app", FACTORY, "--factory",
             "--port", str(port)],
            env={**os.environ, "HOST": "127.0.0.1", "DRAIN_SECONDS": "0",
                 "PYTHONUNBUFFERED": "1", **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/health/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"the service did not become ready:\n{log.read_text()}")
        time.sleep(0.05)
    try:
        yield Service(base, log, process, time.monotonic())
    finally:
        process.terminate()
        process.wait(timeout=15)


def auth_env(jwks: JwksServer, **extra: str) -> dict[str, str]:
    api_keys = [
        {
            "client": "pricing",
            "sha256": hashlib.sha256(SERVICE_KEY.encode()).hexdigest(),
            "scopes": ["sample:read"],
        }
    ]
    return {
        "SAMPLE_AUTH__JWKS_URL": jwks.url,
        "SAMPLE_AUTH__ISSUER": ISSUER,
        "SAMPLE_AUTH__API_KEYS": json.dumps(api_keys),
        "SAMPLE_AUTH__JWKS_REFRESH_INTERVAL_S": str(REFRESH_INTERVAL_S),
        "SAMPLE_RATE_LIMIT__ENABLED": "false",
        **extra,
    }


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {
        "current": rsa_key("key-2026-11"),
        "next": rsa_key("key-2026-12"),
        "stranger": rsa_key("key-2026-11"),  # same kid, another key: a forger's
        "ec": SigningKey("ec-1", ec.generate_private_key(ec.SECP256R1()), "ES256"),
    }


@pytest.fixture(scope="module")
def credentials() -> Credentials:
    return Credentials()


@pytest.fixture(scope="module")
def jwks(keys) -> Iterator[JwksServer]:
    server = JwksServer([keys["current"], keys["ec"]])
    yield server
    server.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, jwks, credentials) -> Iterator[Service]:
    with served(tmp_path_factory.mktemp("auth"), **auth_env(jwks)) as running:
        yield running
        # After every test of the module: the log never held a credential, and no request
        # was answered with a 500.
        text = running.log.read_text()
        secrets = [
            *credentials.sent,
            SERVICE_KEY,
            *(t.rsplit(".", 1)[-1] for t in credentials.sent),
        ]
        leaked = [secret[:12] + "..." for secret in secrets if len(secret) > 8 and secret in text]
        assert leaked == [], "credentials in the log"
        assert not [line for line in running.lines() if line.get("status") == 500]


def refused(answer: httpx.Response, status: int, reason: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["status"] == status
    assert problem["type"] == (
        "urn:fastapi-rules:problem:unauthenticated"
        if status == 401
        else "urn:fastapi-rules:problem:insufficient-scope"
    )
    if status == 401:
        assert answer.headers["www-authenticate"].startswith('Bearer realm="sample"')
    if reason is not None:
        assert reason in problem["detail"], problem
        assert f'error_description="{reason}"' in answer.headers["www-authenticate"]
    return problem


def get(service: Service, path: str = "/secure/orders", **headers: str) -> httpx.Response:
    return httpx.get(service.base + path, headers=headers, timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_token_is_let_through_and_logged_as_its_subject(service, keys, credentials):
    answer = get(service, **bearer(credentials.token(keys["current"])))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"subject": "alice", "client": "trading-ui", "scheme": "bearer"}
    line = service.access(answer.headers["x-request-id"])
    assert (line["subject"], line["client_id"], line["auth"]) == ("alice", "trading-ui", "bearer")
    assert "auth_error" not in line


def test_an_ec_key_verifies_es256_tokens(service, keys, credentials):
    answer = get(service, **bearer(credentials.token(keys["ec"])))
    assert answer.status_code == 200, answer.text


def test_no_credentials_get_a_401_challenge_naming_the_scope(service):
    problem = refused(get(service), 401)
    assert "bearer token" in problem["detail"]
    challenge = get(service).headers["www-authenticate"]
    assert challenge == 'Bearer realm="sample", scope="sample:read"'


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": -120}, "token expired"),  # beyond the 30 s leeway
        ({"nbf": 120}, "token not yet valid"),
        ({"aud": "another-service"}, "token is for another audience"),
        ({"iss": "https://evil.test/"}, "token from another issuer"),
        ({"exp": None}, "token lacks the exp claim"),
        ({"aud": None}, "token lacks the aud claim"),
        ({"sub": None}, "token lacks the sub claim"),
    ],
)
def test_claims_are_checked(service, keys, credentials, changes, reason):
    now = int(time.time())
    relative = {name: now + value if name in ("exp", "nbf") and value is not None else value
                for name, value in changes.items()}  # fmt: skip
    answer = get(service, **bearer(credentials.token(keys["current"], **relative)))
    line = service.access(refused(answer, 401, reason)["request_id"])
    assert line["auth_error"] == reason
    assert "subject" not in line


def test_the_leeway_absorbs_small_clock_differences(service, keys, credentials):
    now = int(time.time())
    late = credentials.token(keys["current"], exp=now - 10)
    early = credentials.token(keys["current"], nbf=now + 10, iat=now + 10)
    assert get(service, **bearer(late)).status_code == 200
    assert get(service, **bearer(early)).status_code == 200


def test_a_forged_signature_is_refused(service, keys, credentials):
    # Signed by another key under the trusted key's ID.
    forged = credentials.token(keys["stranger"])
    refused(get(service, **bearer(forged)), 401, "token signature does not verify")
    # A genuine token whose claims were changed after signing.
    genuine = credentials.token(keys["current"])
    header, _, signature = genuine.split(".")
    payload = b64url(json.dumps(claims(scope="sample:read sample:write")).encode())
    tampered = f"{header}.{payload}.{signature}"
    credentials.sent.add(tampered)
    refused(get(service, **bearer(tampered)), 401, "token signature does not verify")


def test_alg_none_is_refused(service, keys, credentials):
    for alg in ("none", "None", "NONE"):
        token = credentials.raw(
            {"alg": alg, "typ": "JWT", "kid": keys["current"].kid}, claims(), b""
        )
        refused(get(service, **bearer(token)), 401, "token algorithm not allowed")


def test_hs256_keyed_with_the_rsa_public_key_is_refused(service, keys, credentials):
    # The classic confusion: a verifier that lets the header choose HMAC would use the
    # public key, which anyone can read from the JWKS, as the shared secret.
    header = {"alg": "HS256", "typ": "JWT", "kid": keys["current"].kid}
    payload = claims()
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    for secret in (keys["current"].public_pem(), json.dumps(keys["current"].jwk).encode()):
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        token = credentials.raw(header, payload, signature)
        assert token.startswith(signing_input)
        refused(get(service, **bearer(token)), 401, "token algorithm not allowed")


def test_a_token_of_one_algorithm_is_not_verified_with_a_key_of_another(service, keys, credentials):
    # RS256 claimed, but the kid names the EC key: the key decides what it can verify.
    token = credentials.token(keys["current"], headers={"kid": keys["ec"].kid})
    refused(get(service, **bearer(token)), 401, "the token's key is not a key for RS256")


def test_a_missing_scope_is_a_403(service, keys, credentials):
    token = credentials.token(keys["current"], scope="sample:read")
    answer = httpx.post(
        service.base + "/secure/orders",
        json={"symbol": "EURUSD", "quantity": 1},
        headers=bearer(token),
    )
    problem = refused(answer, 403)
    assert "sample:write" in problem["detail"]
    assert answer.headers["www-authenticate"] == (
        'Bearer realm="sample", error="insufficient_scope", '
        'error_description="the token lacks a scope", scope="sample:read sample:write"'
    )
    both = credentials.token(keys["current"], scp=["sample:read", "sample:write"], scope=None)
    answer = httpx.post(
        service.base + "/secure/orders",
        json={"symbol": "EURUSD", "quantity": 1},
        headers=bearer(both),
    )
    assert answer.status_code == 201, answer.text  # scp as a list, as some providers write it


@pytest.mark.parametrize(
    "value",
    [
        b"Bearer",
        b"Bearer ",
        b"Basic dXNlcjpwYXNzd29yZA==",
        b"Bearer two tokens",
        b"Bearer not-a-jwt",
        b"Bearer a.b",
        b"Bearer a.b.c.d.e",
        b"Bearer eyJhbGciOiJSUzI1NiJ9.%%%.abc",
        b"Bearer " + b"a" * 10_000 + b".b.c",
        b"Bearer \xff\xfe.\xc3\xa9.x",
        # JSON nested deeper than the parser recurses, in the header and in the payload.
        b"Bearer " + base64.urlsafe_b64encode(b"[" * 3000).rstrip(b"=") + b".e30.x",
        b"Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0yMDI2LTExIn0."
        + base64.urlsafe_b64encode(b"[" * 3000).rstrip(b"=")
        + b".x",
        b"Token abc",
        b"",
    ],
)
def test_malformed_authorization_headers_are_401_problems(service, value):
    # Over a raw socket: HTTP clients refuse to send some of these values at all.
    host, port = service.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"GET /secure/orders HTTP/1.1\r\nHost: sample\r\nConnection: close\r\n"
            b"Authorization: " + value + b"\r\n\r\n"
        )
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    answer = httpx.Response(int(status_line.split()[1]), headers=headers, content=body)
    refused(answer, 401)


def test_two_authorization_headers_are_refused(service, keys, credentials):
    token = credentials.token(keys["current"])
    headers = [(b"authorization", f"Bearer {token}".encode())] * 2
    refused(httpx.get(service.base + "/secure/orders", headers=headers), 401)


def test_a_service_api_key_is_accepted_and_a_wrong_one_refused(service, credentials):
    answer = get(service, **{"X-API-Key": SERVICE_KEY})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"subject": "pricing", "client": "pricing", "scheme": "api_key"}
    line = service.access(answer.headers["x-request-id"])
    assert (line["subject"], line["auth"]) == ("pricing", "api_key")
    for wrong in (SERVICE_KEY[:-1] + "y", SERVICE_KEY + "x", "x" * 300):
        credentials.sent.add(wrong)
        refused(get(service, **{"X-API-Key": wrong}), 401)
    for malformed in (b"", b"\xc3\xa9t\xc3\xa9"):
        answer = httpx.get(service.base + "/secure/orders", headers=[(b"x-api-key", malformed)])
        refused(answer, 401)
    # The key grants sample:read only.
    write = httpx.post(
        service.base + "/secure/orders",
        json={"symbol": "EURUSD", "quantity": 1},
        headers={"X-API-Key": SERVICE_KEY},
    )
    refused(write, 403)


def test_a_token_and_a_key_together_are_refused(service, keys, credentials):
    headers = {**bearer(credentials.token(keys["current"])), "X-API-Key": SERVICE_KEY}
    refused(get(service, **headers), 401, "send a bearer token or an API key, not both")


def test_open_paths_ignore_credentials(service):
    for path in ("/health/live", "/health/ready", "/metrics", "/docs", "/openapi.json", "/redoc"):
        assert get(service, path, Authorization="Bearer garbage").status_code == 200, path
    # A public route of the service: anyone, and a refused token does not make it fail.
    assert get(service, "/orders/1").status_code == 200
    assert get(service, "/orders/1", Authorization="Bearer garbage").status_code == 200


def test_keys_rotate_without_a_restart_and_unknown_kids_cannot_flood_the_provider(tmp_path, keys):
    credentials = Credentials()
    provider = JwksServer([keys["current"]])
    try:
        with served(tmp_path, **auth_env(provider)) as service:
            assert provider.fetches == 1  # at start
            # The provider publishes its next key, and a token signed with it arrives
            # before the refresh interval since the start has passed: refused, not fetched.
            provider.publish([keys["current"], keys["next"]])
            rotated = credentials.token(keys["next"])
            early = get(service, **bearer(rotated))
            if time.monotonic() - service.started < REFRESH_INTERVAL_S - 1:
                refused(early, 401, "token signed with an unknown key")
                # Made-up key IDs, many at once: still no fetch within the interval.
                for number in range(20):
                    made_up = credentials.token(
                        keys["current"], headers={"kid": f"made-up-{number}"}
                    )
                    refused(
                        get(service, **bearer(made_up)), 401, "token signed with an unknown key"
                    )
                assert provider.fetches == 1
            time.sleep(max(0.0, REFRESH_INTERVAL_S - (time.monotonic() - service.started)) + 0.2)
            # Past the interval, the unknown kid makes the service fetch the set again.
            assert get(service, **bearer(rotated)).status_code == 200
            assert provider.fetches == 2
            assert get(service, **bearer(credentials.token(keys["current"]))).status_code == 200
            # The provider retires the old key: its tokens fail once the set is fetched again.
            provider.publish([keys["next"]])
            time.sleep(REFRESH_INTERVAL_S + 0.2)
            retired = credentials.token(keys["current"], headers={"kid": "key-2026-10"})
            refused(get(service, **bearer(retired)), 401, "token signed with an unknown key")
            assert provider.fetches == 3
            old = credentials.token(keys["current"])
            refused(get(service, **bearer(old)), 401, "token signed with an unknown key")
            assert get(service, **bearer(rotated)).status_code == 200
            text = service.log.read_text()
            assert not [token for token in credentials.sent if token in text]
    finally:
        provider.close()


def test_the_rate_limit_counts_a_subject_across_addresses(tmp_path, keys):
    credentials = Credentials()
    provider = JwksServer([keys["current"]])
    limited = {"SAMPLE_RATE_LIMIT__ENABLED": "true", "SAMPLE_RATE_LIMIT__DEFAULT": "3/minute"}
    try:
        with served(tmp_path, **auth_env(provider, **limited)) as service:
            alice = bearer(credentials.token(keys["current"], sub="alice"))
            bob = bearer(credentials.token(keys["current"], sub="bob"))

            def status(headers: dict[str, str], address: str) -> int:
                # servicekit.serve trusts the loopback proxy's X-Forwarded-For.
                return get(service, **headers, **{"X-Forwarded-For": address}).status_code

            # Alice from two addresses: one budget of 3.
            alices = [status(alice, address) for address in ["10.0.0.1", "10.0.0.2"] * 2]
            assert alices == [200, 200, 200, 429]
            # Bob from Alice's first address: a budget of his own.
            assert [status(bob, "10.0.0.1") for _ in range(3)] == [200, 200, 200]
            # Callers without credentials are still counted by address.
            assert [status({}, "10.0.0.9") for _ in range(4)] == [401, 401, 401, 429]
            assert status({}, "10.0.0.8") == 401
            refusal = get(service, **alice, **{"X-Forwarded-For": "10.0.0.3"})
            assert refusal.status_code == 429
            assert refusal.headers["content-type"] == PROBLEM
            line = service.access(refusal.headers["x-request-id"])
            assert (line["subject"], line["client"], line["status"]) == ("alice", "10.0.0.3", 429)
    finally:
        provider.close()


def test_outside_development_a_service_without_a_jwks_does_not_start_and_says_so_in_one_line():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAMPLE_")}
    result = subprocess.run(
        [sys.executable, "-m", "servicekit.serve", "--app", FACTORY, "--factory",
         "--port", str(free_port())],
        env={**environment, "SAMPLE_ENVIRONMENT": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        "sample: cannot start: SAMPLE_AUTH__JWKS_URL (or SAMPLE_AUTH__JWKS_FILE) is not set: "
        "in production bearer tokens are verified with the identity provider's keys; set it "
        "and SAMPLE_AUTH__ISSUER (docs/security.md)\n"
    )
