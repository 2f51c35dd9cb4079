"""Credentials for a service's tests: a key pair of the test's own, the auth settings
that trust it, and request headers carrying its tokens.

    issuer = TokenIssuer.create(tmp_path, audience="pricing")
    app = create_app(Settings(auth=issuer.auth), routers=[router])
    await client.get("/v1/quotes", headers=issuer.headers("pricing:read"))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from servicekit.auth.development import DEVELOPMENT_ISSUER, DevelopmentIdentity
from servicekit.settings import AuthSettings


@dataclass(frozen=True)
class TokenIssuer:
    """An identity provider for tests: the development identity's kind of key pair, kept
    in the test's own directory."""

    identity: DevelopmentIdentity
    audience: str

    @classmethod
    def create(cls, directory: Path, *, audience: str) -> TokenIssuer:
        return cls(DevelopmentIdentity.load_or_create(directory), audience)

    @property
    def auth(self) -> AuthSettings:
        """Auth settings that trust this issuer's tokens."""
        return AuthSettings(
            jwks_file=self.identity.jwks_file, issuer=DEVELOPMENT_ISSUER, audience=self.audience
        )

    def token(self, *scopes: str, subject: str = "test", ttl_s: int = 3600) -> str:
        return self.identity.mint(
            audience=self.audience, scopes=scopes, subject=subject, client="tests", ttl_s=ttl_s
        )

    def headers(self, *scopes: str, subject: str = "test") -> dict[str, str]:
        """An ``Authorization`` header with a token granting ``scopes``."""
        return {"Authorization": f"Bearer {self.token(*scopes, subject=subject)}"}
