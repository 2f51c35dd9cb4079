"""The entrypoint of the deployment's PostgreSQL image: a cluster for the services, then
the server.

Runs as the image's non-root user (65532) on a read-only root file system, with the
cluster in a volume at /var/lib/postgresql and the server's Unix socket in /tmp (a tmpfs
no other container sees):

1. First start (no ``PGDATA/PG_VERSION``): ``initdb`` with UTF-8 and PostgreSQL's own
   C.UTF-8 locale (the builtin provider: the image has no glibc locales); TCP connections
   authenticate with scram-sha-256, connections over the socket are trusted (only this
   container can reach it).
2. Every start: a server listening on the socket only makes sure that the application
   role ``POSTGRES_USER`` (``app``) exists, can log in with ``POSTGRES_PASSWORD``, and
   owns each database of ``POSTGRES_DATABASES`` (names separated by spaces or commas),
   creating what is missing. The password reaches SQL as a SCRAM verifier computed here,
   never in clear text.
3. The entrypoint becomes the server (exec), listening on ``POSTGRES_LISTEN``
   (``127.0.0.1``) port ``PGPORT`` (5432). Stop it with SIGINT (fast shutdown): SIGTERM
   waits for every client to disconnect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/17/bin"))
SOCKET_DIR = "/tmp"
SUPERUSER = "postgres"
SCRAM_ITERATIONS = 4096
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class SetupError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    data: Path
    port: int
    listen: str
    user: str
    password: str
    databases: tuple[str, ...]

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        """The settings, or a SetupError naming every variable that is wrong."""
        problems = []
        password = env.get("POSTGRES_PASSWORD", "")
        if not password:
            problems.append("POSTGRES_PASSWORD is not set: give the application role a password")
        user = env.get("POSTGRES_USER", "app")
        if not _NAME.fullmatch(user) or user == SUPERUSER:
            problems.append(
                f"POSTGRES_USER={user!r} is not a role name of lower-case letters, digits and _"
                f" (and not {SUPERUSER})"
            )
        databases = tuple(re.split(r"[\s,]+", env.get("POSTGRES_DATABASES", "").strip()))
        databases = tuple(name for name in databases if name)
        for name in databases:
            if not _NAME.fullmatch(name) or name in ("postgres", "template0", "template1"):
                problems.append(
                    f"POSTGRES_DATABASES: {name!r} is not a database name of lower-case "
                    "letters, digits and _ (and not postgres, template0 or template1)"
                )
        port = env.get("PGPORT", "5432")
        if not port.isdigit() or not 0 < int(port) < 65536:
            problems.append(f"PGPORT={port!r} is not a TCP port")
        if problems:
            raise SetupError("; ".join(problems))
        return cls(
            data=Path(env.get("PGDATA", "/var/lib/postgresql/data")),
            port=int(port),
            listen=env.get("POSTGRES_LISTEN", "127.0.0.1"),
            user=user,
            password=password,
            databases=databases,
        )


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """What PostgreSQL stores for a scram-sha-256 password (RFC 5802, RFC 7677); given
    as the password, PostgreSQL stores it as it is."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def setup_sql(settings: Settings, verifier: str) -> str:
    """psql input that makes the role and the databases, leaving what exists alone."""
    role = settings.user
    lines = [
        f"SELECT 'CREATE ROLE {role}' WHERE NOT EXISTS "
        f"(SELECT FROM pg_roles WHERE rolname = '{role}')\\gexec",
        f"ALTER ROLE {role} WITH LOGIN PASSWORD '{verifier}';",
    ]
    for name in settings.databases:
        lines.append(
            f"SELECT 'CREATE DATABASE {name} OWNER {role}' WHERE NOT EXISTS "
            f"(SELECT FROM pg_database WHERE datname = '{name}')\\gexec"
        )
        lines.append(f"ALTER DATABASE {name} OWNER TO {role};")
    return "\n".join(lines) + "\n"


def initdb(settings: Settings) -> None:
    subprocess.run(
        [str(BIN / "initdb"), "--pgdata", str(settings.data), "--username", SUPERUSER,
         "--encoding", "UTF8", "--locale", "C", "--locale-provider", "builtin",
         "--builtin-locale", "C.UTF-8", "--auth-local", "trust",
         "--auth-host", "scram-sha-256", "--no-instructions"],
        check=True,
    )  # fmt: skip


def wait_for_socket(settings: Settings, server: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SetupError(f"the server stopped during set-up (exit {server.returncode})")
        ready = subprocess.run(
            [str(BIN / "pg_isready"), "--quiet", "--host", SOCKET_DIR, "--port",
             str(settings.port)],
            check=False,
        )  # fmt: skip
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise SetupError(f"the server did not accept connections within {timeout_s:.0f} s")


def set_up_roles_and_databases(settings: Settings, timeout_s: float = 60) -> None:
    """Runs a server on the Unix socket only, applies setup_sql, and stops it."""
    server = subprocess.Popen(
        [str(BIN / "postgres"), "-D", str(settings.data), "-p", str(settings.port),
         "-c", "listen_addresses=", "-c", f"unix_socket_directories={SOCKET_DIR}"]
    )  # fmt: skip
    try:
        wait_for_socket(settings, server, timeout_s)
        subprocess.run(
            [str(BIN / "psql"), "--no-psqlrc", "--quiet", "--host", SOCKET_DIR, "--port",
             str(settings.port), "--username", SUPERUSER, "--dbname", "postgres",
             "--set", "ON_ERROR_STOP=1", "--file", "-"],
            input=setup_sql(settings, scram_verifier(settings.password)).encode(),
            stdout=subprocess.DEVNULL,
            check=True,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=timeout_s)


def server_command(settings: Settings) -> list[str]:
    return [str(BIN / "postgres"), "-D", str(settings.data), "-p", str(settings.port),
            "-c", f"listen_addresses={settings.listen}",
            "-c", f"unix_socket_directories={SOCKET_DIR}"]  # fmt: skip


def main() -> int:
    try:
        settings = Settings.from_environment(os.environ)
        if not (settings.data / "PG_VERSION").exists():
            initdb(settings)
        set_up_roles_and_databases(settings)
    except (SetupError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        print(f"postgres entrypoint: cannot start: {error}", file=sys.stderr, flush=True)
        return 1
    command = server_command(settings)
    databases = ", ".join(settings.databases) or "(none)"
    print(
        f"postgres entrypoint: role {settings.user}, databases {databases}; "
        f"serving on {settings.listen}:{settings.port}",
        file=sys.stderr,
        flush=True,
    )
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
