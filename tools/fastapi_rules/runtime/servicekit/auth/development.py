"""A development identity provider: one RSA key pair on the developer's machine, whose
tokens a service trusts when ``bazel run`` starts it in development with no JWKS set.

The key pair lives in ``$XDG_CACHE_HOME/fastapi_rules/dev_identity`` (``~/.cache/...``),
made on first use, so that tokens minted by the dev_token tool and printed by one service
work with every service run this way, across restarts. It is never used anywhere else:
tests and images do not set ``BUILD_WORKSPACE_DIRECTORY``, and outside development a
service needs its identity provider's JWKS.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from servicekit.info import ServiceInfo
from servicekit.settings import ServiceSettings

DEVELOPMENT_ISSUER: Final = "urn:fastapi-rules:development"
DEFAULT_TTL_S: Final = 12 * 3600
DEV_TOKEN_TOOL: Final = "bazel run @fastapi_rules//tools/fastapi_rules/runtime:dev_token"


def default_directory() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "fastapi_rules" / "dev_identity"


def _write_atomically(path: Path, content: bytes, mode: int) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _link_whole(path: Path, content: bytes, mode: int) -> None:
    """Creates ``path`` with ``content`` unless it exists, never visible half written."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint of an RSA key: a key ID that names the key itself."""
    canonical = json.dumps({name: jwk[name] for name in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class DevelopmentIdentity:
    """The development key pair, its public JWKS file, and tokens signed with it."""

    ALGORITHM: Final = "RS256"

    def __init__(self, private_key: rsa.RSAPrivateKey, directory: Path) -> None:
        self.private_key = private_key
        self.directory = directory
        jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        self.kid = _thumbprint(jwk)
        self.public_jwk = {**jwk, "kid": self.kid, "alg": self.ALGORITHM, "use": "sig"}

    @property
    def jwks_file(self) -> Path:
        return self.directory / "jwks.json"

    @classmethod
    def load_or_create(cls, directory: Path | None = None) -> DevelopmentIdentity:
        directory = directory or default_directory()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_file = directory / "private_key.pem"
        if not key_file.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # Two services starting at once may both get here (services:up starts them
            # together): one key wins, both read it. The key is written whole under another
            # name and linked into place, so the other never reads it half written.
            _link_whole(key_file, pem, 0o600)
        loaded = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{key_file} is not an RSA private key; delete it to make a new one")
        identity = cls(loaded, directory)
        jwks = json.dumps({"keys": [identity.public_jwk]}, indent=2).encode()
        if not identity.jwks_file.exists() or identity.jwks_file.read_bytes() != jwks:
            _write_atomically(identity.jwks_file, jwks, 0o644)
        return identity

    def mint(
        self,
        *,
        audience: str,
        scopes: Sequence[str],
        subject: str = "developer",
        client: str = "dev_token",
        ttl_s: int = DEFAULT_TTL_S,
        not_before: float | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": DEVELOPMENT_ISSUER,
            "aud": audience,
            "sub": subject,
            "client_id": client,
            "scope": " ".join(scopes),
            "iat": now,
            "nbf": int(not_before) if not_before is not None else now,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims, self.private_key, algorithm=self.ALGORITHM, headers={"kid": self.kid}
        )


def development_identity(
    settings: ServiceSettings,
    *,
    scopes: Sequence[str],
    examples: Sequence[str] = (),
    directory: Path | None = None,
    wanted: bool | None = None,
) -> DevelopmentIdentity | None:
    """Under ``bazel run`` in development with no JWKS configured: makes ``settings`` trust
    the development identity and prints a token granting ``scopes`` and ``examples``
    (command lines in which ``{token}`` and ``{url}`` are replaced). Else None: tests,
    images and configured services are left alone. ``wanted`` replaces the test for
    ``bazel run`` (a service that serves a test as ``bazel run`` would).

    Call it before create_app, as a service's main module does for its one-command run.
    The token goes to standard error as plain text, never into the JSON log on standard
    output (docs/security.md).
    """
    if wanted is None:
        wanted = "BUILD_WORKSPACE_DIRECTORY" in os.environ
    if not wanted or settings.environment != "development" or settings.auth.has_jwks:
        return None
    identity = DevelopmentIdentity.load_or_create(directory)
    settings.auth.jwks_file = identity.jwks_file
    settings.auth.issuer = DEVELOPMENT_ISSUER
    service = ServiceInfo.from_environment().name
    audience = settings.auth.audience or service
    token = identity.mint(audience=audience, scopes=scopes)
    prefix = str(settings.model_config.get("env_prefix", "")).upper()
    url = f"http://localhost:{os.environ.get('PORT', '8000')}"
    lines = [
        f"{service}: development identity (bazel run without {prefix}AUTH__JWKS_URL or "
        f"{prefix}AUTH__JWKS_FILE): tokens signed by {identity.directory} are trusted.",
        f"  bearer token for {audience}, valid {DEFAULT_TTL_S // 3600} h, scopes "
        f"{' '.join(scopes) or '(none)'}:",
        f"    export TOKEN={token}",
        *(["  try:"] if examples else []),
        *(f"    {line.replace('{token}', token).replace('{url}', url)}" for line in examples),
        f"  more tokens: {DEV_TOKEN_TOOL} -- --audience {audience} --scope SCOPE",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
    return identity
