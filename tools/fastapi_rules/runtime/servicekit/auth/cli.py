"""Credentials for local work (docs/security.md):

    bazel run //tools/fastapi_rules/runtime:dev_token -- --audience analytics \\
        --scope analytics:read --scope analytics:write
    bazel run //tools/fastapi_rules/runtime:api_key -- pricing --scope analytics:read

``dev_token`` prints a bearer token of the development identity (the key pair every
service trusts under ``bazel run`` with no JWKS); ``api_key`` prints a new service API key
and the settings entry, with its SHA-256, that the called service needs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from servicekit.auth.api_keys import new_api_key
from servicekit.auth.development import (
    DEFAULT_TTL_S,
    DEVELOPMENT_ISSUER,
    DevelopmentIdentity,
    default_directory,
)


def dev_token(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="dev_token", description="Mint a bearer token of the development identity."
    )
    parser.add_argument("--audience", required=True, help="the service name, e.g. analytics")
    parser.add_argument("--scope", action="append", default=[], help="repeat for each scope")
    parser.add_argument("--subject", default="developer")
    parser.add_argument("--client", default="dev_token", help="the client_id claim")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_S, help="seconds")
    parser.add_argument("--directory", type=Path, default=None, help="the key pair's directory")
    args = parser.parse_args(argv)
    identity = DevelopmentIdentity.load_or_create(args.directory or default_directory())
    token = identity.mint(
        audience=args.audience,
        scopes=args.scope,
        subject=args.subject,
        client=args.client,
        ttl_s=args.ttl,
    )
    # The token alone on standard output, so that TOKEN=$(... dev_token ...) works.
    print(token)
    print(
        f"Trusted by services under bazel run with no JWKS, and by any started with "
        f"<PREFIX>AUTH__JWKS_FILE={identity.jwks_file} "
        f"<PREFIX>AUTH__ISSUER={DEVELOPMENT_ISSUER}",
        file=sys.stderr,
    )
    return 0


def api_key(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="api_key", description="Make an API key for a calling service."
    )
    parser.add_argument("client", help="the calling service's name, e.g. pricing")
    parser.add_argument("--scope", action="append", default=[], help="repeat for each scope")
    args = parser.parse_args(argv)
    key, digest = new_api_key()
    entry = {"client": args.client, "sha256": digest, "scopes": args.scope}
    print(
        f"API key for {args.client} (the calling service sends it as X-API-Key; store it "
        f"as a secret, it is not kept anywhere):\n  {key}\n"
        "Entry for the called service's <PREFIX>AUTH__API_KEYS (a JSON list of these):\n"
        f"  {json.dumps(entry)}"
    )
    return 0


COMMANDS = {"dev_token": dev_token, "api_key": api_key}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(f"usage: cli.py {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main())
