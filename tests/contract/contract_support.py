"""The service under test, started as `bazel run` starts it, and what the cases share:
the settings every service gets, problem+json checks, metrics scrapes, raw HTTP.

The service is the binary the target names (SERVICE, MANIFEST), FastAPI or Express: the
suite reads which from the manifest and never asks again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from prometheus_client.parser import text_string_to_metric_families
from servicekit.auth.development import DEVELOPMENT_ISSUER, DevelopmentIdentity
from servicekit.postgres_server import free_port, start_postgres

PROBLEM = "application/problem+json"
PROBLEM_TYPE = "urn:fastapi-rules:problem:"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id", "errors"}

# The settings both services read (the same ANALYTICS_* variables), chosen so that limits
# can be reached: RATE_LIMIT requests a minute per caller and route template. The caller
# is the token's subject, or for anonymous and refused requests the client address
# (docs/security.md, Rate limits); each case has a subject and a client address of its
# own (X-Forwarded-For from loopback, which both services honour, docs/logging.md), so
# cases do not share these budgets. The auth settings are Credentials.settings.
RATE_LIMIT = 30
RATE_PERIOD_S = 60
ALLOWED_ORIGIN = "https://desk.example"
MAX_BODY_BYTES = 1_048_576  # the default of both, stated so that the cases can use it
SETTINGS = {
    "ANALYTICS_RATE_LIMIT__DEFAULT": f"{RATE_LIMIT}/minute",
    "ANALYTICS_CORS_ORIGINS": json.dumps([ALLOWED_ORIGIN]),
    "ANALYTICS_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
    "ANALYTICS_LOG_LEVEL": "info",
    "HOST": "127.0.0.1",
    # As the Python base image sets it: log lines leave as they are written, which the
    # access-line cases wait for (Node's writes are unbuffered anyway).
    "PYTHONUNBUFFERED": "1",
    # Stop at once when the session ends: there is no load balancer to drain for.
    "DRAIN_SECONDS": "0",
}


# Who may call what (docs/security.md): reads and predictions need READ, trades WRITE.
AUDIENCE = "analytics"
READ = "analytics:read"
WRITE = "analytics:write"
# The API keys of calling services the suite configures, and the scopes of each.
API_KEY_SCOPES = {"contract-service": [READ, WRITE], "contract-reader": [READ]}


def _segment(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class Credentials:
    """The identity provider and calling services both services are told to trust, as
    an identity provider and a secret store would make them: an RSA key pair whose public
    half is a JWKS file (``ANALYTICS_AUTH__JWKS_FILE``), tokens signed with its private
    half, and an API key per calling service of API_KEY_SCOPES, of which the services get
    only the SHA-256 (``ANALYTICS_AUTH__API_KEYS``)."""

    identity: DevelopmentIdentity
    api_keys: dict[str, str]

    @classmethod
    def create(cls, directory: Path) -> Credentials:
        return cls(
            DevelopmentIdentity.load_or_create(directory),
            {client: secrets.token_urlsafe(32) for client in API_KEY_SCOPES},
        )

    @property
    def api_key_entries(self) -> list[dict[str, Any]]:
        """The services' entries for the keys: each client's SHA-256 and scopes."""
        return [
            {
                "client": client,
                "sha256": hashlib.sha256(key.encode()).hexdigest(),
                "scopes": API_KEY_SCOPES[client],
            }
            for client, key in self.api_keys.items()
        ]

    @property
    def settings(self) -> dict[str, str]:
        """The ANALYTICS_AUTH__* variables of docs/security.md that trust these."""
        return {
            "ANALYTICS_AUTH__JWKS_FILE": str(self.identity.jwks_file),
            "ANALYTICS_AUTH__ISSUER": DEVELOPMENT_ISSUER,
            "ANALYTICS_AUTH__AUDIENCE": AUDIENCE,
            "ANALYTICS_AUTH__API_KEYS": json.dumps(self.api_key_entries),
        }

    def claims(self, *scopes: str, subject: str = "contract", ttl_s: int = 3600) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": DEVELOPMENT_ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "client_id": "contract-suite",
            "scope": " ".join(scopes),
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": secrets.token_hex(16),
        }

    def sign(
        self,
        claims: dict[str, Any],
        *,
        identity: DevelopmentIdentity | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """``claims`` signed with RS256 by ``identity`` (default the trusted one)."""
        identity = identity or self.identity
        return jwt.encode(
            claims,
            identity.private_key,
            algorithm="RS256",
            headers={"kid": identity.kid} if headers is None else headers,
        )

    def token(self, *scopes: str, subject: str = "contract") -> str:
        """A valid token granting ``scopes`` to ``subject``."""
        return self.sign(self.claims(*scopes, subject=subject))

    def bearer(self, *scopes: str, subject: str = "contract") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*scopes, subject=subject)}"}

    def unsigned(self, claims: dict[str, Any], header: dict[str, Any]) -> str:
        """A token written by hand: ``alg`` ``none`` (no signature)."""
        return f"{_segment(header)}.{_segment(claims)}."

    def hmac_forgery(self, claims: dict[str, Any]) -> str:
        """The classic forgery: HS256 keyed with the provider's public key, which anyone
        can read from the JWKS."""
        header = {"alg": "HS256", "typ": "JWT", "kid": self.identity.kid}
        public = self.identity.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signed = f"{_segment(header)}.{_segment(claims)}"
        signature = hmac.new(public, signed.encode(), hashlib.sha256).digest()
        return signed + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


@dataclass(frozen=True)
class Service:
    name: str
    version: str
    framework: str
    url: str
    log: Path

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                parsed = json.loads(line)
            except ValueError:
                continue  # the node runner's or PostgreSQL's plain lines
            if isinstance(parsed, dict):
                lines.append(parsed)
        return lines

    def access_line(self, request_id: str) -> dict[str, Any]:
        """The access line of the request with this X-Request-ID."""
        # Written when the response ends, maybe just after the client has it.
        deadline = time.monotonic() + 5
        while True:
            for line in self.log_lines():
                if line.get("request_id") == request_id and line.get("event") == "request":
                    return line
            assert time.monotonic() < deadline, f"no access line with request_id {request_id}"
            time.sleep(0.05)


def _environment(
    manifest: dict[str, Any], port: int, database_url: str, credentials: Credentials
) -> dict[str, str]:
    # What `bazel run` gives the binary from its BUILD declaration (the manifest's record),
    # then the suite's settings; nothing of the caller's ANALYTICS_* leaks in.
    prefix = {"fastapi": "FASTAPI", "express": "EXPRESS"}[manifest["framework"]]
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ANALYTICS_") and key != "BUILD_WORKSPACE_DIRECTORY"
    }
    return {
        **inherited,
        **manifest["env"],
        f"{prefix}_SERVICE_NAME": manifest["name"],
        f"{prefix}_SERVICE_TITLE": manifest["title"],
        f"{prefix}_SERVICE_VERSION": manifest["version"],
        f"{prefix}_SERVICE_PORT": str(manifest["port"]),
        **SETTINGS,
        **credentials.settings,
        "PORT": str(port),
        "ANALYTICS_DATABASE__URL": database_url,
    }


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    # Migrating the schema and loading the model: seconds, not minutes.
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/health/ready", timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the service did not become ready; its log:\n{log.read_text()}"
                ) from None
            time.sleep(0.2)


@contextmanager
def running_service(
    binary: str, manifest_path: str, log: Path, credentials: Credentials
) -> Iterator[Service]:
    """The service on a free loopback port, against a throwaway PostgreSQL of its own
    whose schema the service applies at start, trusting ``credentials``; stopped
    (SIGTERM) and removed after."""
    manifest = json.loads(Path(manifest_path).read_text())
    postgres = start_postgres()
    try:
        port = free_port()
        env = _environment(manifest, port, postgres.create_database(), credentials)
        with log.open("wb") as output:
            process = subprocess.Popen([binary], env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_ready(url, process, log)
            yield Service(manifest["name"], manifest["version"], manifest["framework"], url, log)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        postgres.stop()


def media_type(answer: httpx.Response) -> str:
    return answer.headers.get("content-type", "").split(";")[0].strip().lower()


def assert_problem(
    answer: httpx.Response,
    status: int,
    problem_type: str = "about:blank",
    *,
    title: str | None = None,
    errors: list[tuple[list[Any], str]] | None = None,
) -> dict[str, Any]:
    """Checks an RFC 9457 answer with servicekit's fields (docs/logging.md, Errors):
    status, exact content type, type, title (the status phrase for about:blank), status,
    a detail, the request's path as instance, the response's request ID, and for bad
    input each error's location and type, in order."""
    assert answer.status_code == status, answer.text
    assert answer.headers.get("content-type") == PROBLEM, answer.headers
    body = answer.json()
    assert set(body) <= PROBLEM_FIELDS, body
    assert body["type"] == problem_type, body
    assert body["title"] == (title or HTTPStatus(status).phrase), body
    assert body["status"] == status, body
    assert isinstance(body.get("detail"), str), body
    assert body["detail"], body
    assert body["instance"] == urlsplit(str(answer.request.url)).path, body
    assert body["request_id"] == answer.headers["x-request-id"], body
    if errors is None:
        assert "errors" not in body, body
    else:
        found = [(error["location"], error["type"]) for error in body["errors"]]
        assert found == errors, body
        for error in body["errors"]:
            assert set(error) == {"location", "message", "type"}, error
            assert isinstance(error["message"], str), error
            assert error["message"], error
    return body


def validation_problem(
    answer: httpx.Response, errors: list[tuple[list[Any], str]]
) -> dict[str, Any]:
    return assert_problem(
        answer, 422, PROBLEM_TYPE + "validation", title="Invalid request", errors=errors
    )


Series = tuple[str, frozenset[tuple[str, str]]]


@dataclass(frozen=True)
class Scrape:
    """One GET /metrics: each sample by name and labels, and each family's type."""

    samples: dict[Series, float]
    types: dict[str, str]

    def value(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def label_sets(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample, labels in self.samples if sample == name]


def scrape(client: httpx.Client) -> Scrape:
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    samples: dict[Series, float] = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(answer.text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(samples, types)


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _read_answer(connection: socket.socket) -> RawAnswer:
    data = b""

    def read_until(done: Callable[[bytes], bool]) -> None:
        nonlocal data
        while not done(data):
            chunk = connection.recv(65536)
            if not chunk:
                raise AssertionError(f"the connection closed before the answer: {data!r}")
            data += chunk

    while True:
        read_until(lambda received: b"\r\n\r\n" in received)
        head, _, data = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status != 100:  # 100 Continue: the answer follows
            break
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    read_until(lambda received: len(received) >= length)
    return RawAnswer(status, headers, data[:length])


def raw_post(
    url: str,
    path: str,
    head: dict[str, str],
    chunks: list[bytes],
    *,
    chunked: bool,
    timeout: float = 30,
) -> RawAnswer:
    """A POST written by hand, for bodies httpx would not send as needed: a declared
    length with no body behind it, or a chunked body that is never finished. The answer
    must come without the rest of the body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as connection:
        lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for chunk in chunks:
            if chunked:
                connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            else:
                connection.sendall(chunk)
        return _read_answer(connection)
