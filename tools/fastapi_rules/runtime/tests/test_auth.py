"""servicekit.auth in process: settings, declared policies, the OpenAPI document, a JWKS
file rotated in place, the development identity and the credential tools. The attacks
over real HTTP are in test_auth_server.py."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter
from jwt.algorithms import RSAAlgorithm
from pydantic import ValidationError
from servicekit import (
    AuthSettings,
    ServiceSettings,
    create_app,
    development_identity,
    public,
    requires,
)
from servicekit.app import configuration_errors
from servicekit.auth.api_keys import ApiKeys, new_api_key
from servicekit.auth.development import DEVELOPMENT_ISSUER, DevelopmentIdentity
from servicekit.auth.principal import Refusal
from servicekit.settings import ApiKeySettings, ConfigurationError
from servicekit.testing import app_client

from tools.fastapi_rules.runtime.tests.sample_app import Settings, build

ISSUER = "https://idp.test/"


@pytest.mark.parametrize("algorithm", ["none", "HS256", "HS512", "RS1", ""])
def test_only_public_key_algorithms_may_be_allowed(algorithm):
    with pytest.raises(ValidationError, match="only public-key algorithms"):
        AuthSettings(algorithms=["RS256", algorithm])


def test_a_jwks_needs_an_issuer_and_one_source(tmp_path):
    with pytest.raises(ValidationError, match="needs the issuer"):
        AuthSettings(jwks_file=tmp_path / "jwks.json")
    with pytest.raises(ValidationError, match="not both"):
        AuthSettings(jwks_file=tmp_path, jwks_url="https://idp.test/certs", issuer=ISSUER)
    with pytest.raises(ValidationError, match="http"):
        AuthSettings(jwks_url="file:///etc/passwd", issuer=ISSUER)


def test_auth_settings_come_from_the_environment(monkeypatch, tmp_path):
    key, digest = new_api_key()
    monkeypatch.setenv("SAMPLE_AUTH__JWKS_FILE", str(tmp_path / "jwks.json"))
    monkeypatch.setenv("SAMPLE_AUTH__ISSUER", ISSUER)
    monkeypatch.setenv("SAMPLE_AUTH__AUDIENCE", "https://api.test/sample")
    monkeypatch.setenv(
        "SAMPLE_AUTH__API_KEYS", json.dumps([{"client": "pricing", "sha256": digest}])
    )
    auth = Settings().auth
    assert auth.jwks_file == tmp_path / "jwks.json"
    assert (auth.issuer, auth.audience) == (ISSUER, "https://api.test/sample")
    assert auth.api_keys[0].client == "pricing"
    assert hashlib.sha256(key.encode()).hexdigest() == digest


def test_api_keys_are_stored_as_hashes_only():
    with pytest.raises(ValidationError, match="SHA-256"):
        ApiKeySettings(client="pricing", sha256="the-key-itself")
    key, digest = new_api_key()
    keys = ApiKeys([ApiKeySettings(client="pricing", sha256=digest, scopes=["a:read"])])
    principal = keys.verify(key)
    assert (principal.subject, principal.scopes, principal.scheme) == (
        "pricing",
        frozenset({"a:read"}),
        "api_key",
    )
    with pytest.raises(Refusal, match="unknown API key"):
        keys.verify(digest)  # the stored hash is not a key


def test_every_route_must_declare_its_policy():
    router = APIRouter()

    @router.get("/declared", dependencies=[requires("x:read")])
    async def declared() -> None: ...

    @router.get("/open", dependencies=[public()])
    async def open_() -> None: ...

    @router.post("/forgotten")
    async def forgotten() -> None: ...

    with pytest.raises(ValueError, match=r"routes without an access policy: POST /forgotten\."):
        create_app(ServiceSettings(), name="x", routers=[router])


def test_the_openapi_document_declares_both_schemes_and_each_operations_scopes():
    document = build().openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearer"]["description"],
    }
    assert schemes["apiKey"]["in"] == "header"
    assert schemes["apiKey"]["name"] == "X-API-Key"
    paths = document["paths"]
    assert paths["/secure/orders"]["get"]["security"] == [
        {"bearer": ["sample:read"]},
        {"apiKey": ["sample:read"]},
    ]
    assert paths["/secure/orders"]["post"]["security"] == [
        {"bearer": ["sample:read", "sample:write"]},
        {"apiKey": ["sample:read", "sample:write"]},
    ]
    assert paths["/secure/whoami"]["get"]["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "security" not in paths["/orders"]["post"]  # public
    assert "security" not in paths["/health/ready"]["get"]


def rsa_jwk(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, object]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid}


def token(key: rsa.RSAPrivateKey, kid: str, **claims: object) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": "sample", "sub": "svc", "exp": now + 60, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


async def test_a_jwks_file_rotated_in_place_is_read_again_for_an_unknown_kid(tmp_path):
    old_key, old_jwk = rsa_jwk("old")
    new_key, new_jwk = rsa_jwk("new")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [old_jwk]}))
    settings = Settings(
        auth={"jwks_file": jwks, "issuer": ISSUER, "jwks_refresh_interval_s": 0},
        rate_limit={"enabled": False},
    )
    async with app_client(build(settings)) as client:

        async def status(bearer: str) -> int:
            answer = await client.get(
                "/secure/orders", headers={"Authorization": f"Bearer {bearer}"}
            )
            return answer.status_code

        new_token = token(new_key, "new", scope="sample:read")
        assert await status(new_token) == 401
        jwks.write_text(json.dumps({"keys": [old_jwk, new_jwk]}))  # the secret is remounted
        assert await status(new_token) == 200
        assert await status(token(old_key, "old", scope="sample:read")) == 200


async def test_a_missing_jwks_file_stops_the_start(tmp_path):
    settings = Settings(auth={"jwks_file": tmp_path / "absent.json", "issuer": ISSUER})
    with pytest.raises(ConfigurationError, match=r"absent\.json"):
        async with app_client(build(settings)):
            pass


async def test_the_readiness_check_waits_for_an_unreachable_jwks_url():
    settings = Settings(
        auth={
            "jwks_url": "http://127.0.0.1:9/certs",  # discard port: refused at once
            "issuer": ISSUER,
            "jwks_refresh_interval_s": 0,
            "jwks_timeout_s": 1,
        }
    )
    async with app_client(build(settings)) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["auth"]["status"] == "fail"
        answer = await client.get("/secure/whoami", headers={"Authorization": "Bearer a.b.c"})
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"


def test_the_development_identity_is_used_only_under_bazel_run_in_development(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.delenv("BUILD_WORKSPACE_DIRECTORY", raising=False)
    settings = Settings()
    assert development_identity(settings, scopes=["sample:read"], directory=tmp_path) is None
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
    production = Settings(
        environment="production", auth={"jwks_url": "https://idp.test/certs", "issuer": ISSUER}
    )
    assert development_identity(production, scopes=["sample:read"], directory=tmp_path) is None
    monkeypatch.setenv("FASTAPI_SERVICE_NAME", "sample")
    monkeypatch.setenv("PORT", "4999")
    identity = development_identity(
        settings,
        scopes=["sample:read"],
        examples=['curl -H "Authorization: Bearer {token}" {url}/secure/orders'],
        directory=tmp_path,
    )
    assert identity is not None
    assert settings.auth.jwks_file == tmp_path / "jwks.json"
    assert settings.auth.issuer == DEVELOPMENT_ISSUER
    assert oct(os.stat(tmp_path / "private_key.pem").st_mode & 0o777) == "0o600"
    banner = capsys.readouterr()
    assert banner.out == ""  # the JSON log on stdout never carries the token
    printed = banner.err.split('curl -H "Authorization: Bearer ')[1].split('"')[0]
    claims = jwt.decode(
        printed,
        jwt.PyJWK(identity.public_jwk).key,
        algorithms=["RS256"],
        audience="sample",
        issuer=DEVELOPMENT_ISSUER,
    )
    assert claims["scope"] == "sample:read"
    assert " http://localhost:4999/secure/orders" in banner.err
    # The same key pair next time: tokens outlive a restart.
    assert DevelopmentIdentity.load_or_create(tmp_path).kid == identity.kid


def test_services_starting_together_share_one_development_key(tmp_path):
    # services:up starts every service at once: each makes the key pair when there is none,
    # and none may read another's half-written key.
    program = (
        "import sys; from pathlib import Path; "
        "from servicekit.auth.development import DevelopmentIdentity; "
        "print(DevelopmentIdentity.load_or_create(Path(sys.argv[1])).kid)"
    )
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", program, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [process.communicate(timeout=60) for process in starting]
    assert all(process.returncode == 0 for process in starting), results
    assert len({out.strip() for out, _ in results}) == 1, results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jwks.json", "private_key.pem"]


def test_the_credential_tools(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    minted = subprocess.run(
        [sys.executable, "-m", "servicekit.auth.cli", "dev_token", "--audience", "sample",
         "--scope", "sample:read", "--scope", "sample:write", "--ttl", "60"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    identity = DevelopmentIdentity.load_or_create(tmp_path / "fastapi_rules" / "dev_identity")
    claims = jwt.decode(
        minted.stdout.strip(),
        jwt.PyJWK(identity.public_jwk).key,
        algorithms=["RS256"],
        audience="sample",
        issuer=DEVELOPMENT_ISSUER,
    )
    assert claims["scope"] == "sample:read sample:write"
    assert claims["exp"] - claims["iat"] == 60
    assert str(identity.jwks_file) in minted.stderr
    made = subprocess.run(
        [sys.executable, "-m", "servicekit.auth.cli", "api_key", "pricing", "--scope", "a:read"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = made.stdout.splitlines()
    key, entry = lines[1].strip(), json.loads(lines[3])
    assert entry["client"] == "pricing"
    assert entry["scopes"] == ["a:read"]
    assert hashlib.sha256(key.encode()).hexdigest() == entry["sha256"]


# The messages docs/troubleshooting.md quotes.


async def test_without_a_jwks_every_bearer_token_is_refused_saying_why():
    async with app_client(build(Settings())) as client:
        answer = await client.get("/secure/whoami", headers={"Authorization": "Bearer a.b.c"})
    assert answer.status_code == 401
    assert answer.json()["detail"] == (
        "Credentials refused: this service has no identity provider keys: bearer tokens are "
        "refused."
    )


async def test_a_file_that_is_no_jwks_stops_the_start_saying_so(tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": 1}')
    app = build(Settings(auth={"jwks_file": jwks, "issuer": ISSUER}))
    with pytest.raises(ConfigurationError):
        async with app_client(app):
            pass
    assert app.state.startup_error == f'auth: JWKS file {jwks}: not a JWK Set: no "keys" list'


def test_an_absent_jwks_file_is_named_before_the_start(tmp_path):
    settings = Settings(auth={"jwks_file": tmp_path / "jwks.json", "issuer": ISSUER})
    assert configuration_errors(build(settings)) == [
        f"SAMPLE_AUTH__JWKS_FILE={tmp_path / 'jwks.json'}: no such file; point it at the JWKS "
        "(JSON)"
    ]


def test_outside_development_a_missing_jwks_is_named_before_the_start():
    assert configuration_errors(build(Settings(environment="production"))) == [
        "SAMPLE_AUTH__JWKS_URL (or SAMPLE_AUTH__JWKS_FILE) is not set: in production bearer "
        "tokens are verified with the identity provider's keys; set it and "
        "SAMPLE_AUTH__ISSUER (docs/security.md)"
    ]
