"""The PostgreSQL image's entrypoint against Debian's PostgreSQL 17 (the image's), run as an
unprivileged user as the image runs it, without a container."""

import base64
import hashlib
import hmac
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from entrypoint import BIN, Settings, SetupError, scram_verifier, setup_sql

ENTRYPOINT = Path(__file__).parent.parent / "entrypoint.py"


def test_settings_name_every_problem():
    with pytest.raises(SetupError) as error:
        Settings.from_environment(
            {"POSTGRES_USER": "App", "POSTGRES_DATABASES": "analytics postgres", "PGPORT": "x"}
        )
    assert str(error.value) == (
        "POSTGRES_PASSWORD is not set: give the application role a password; "
        "POSTGRES_USER='App' is not a role name of lower-case letters, digits and _ "
        "(and not postgres); POSTGRES_DATABASES: 'postgres' is not a database name of "
        "lower-case letters, digits and _ (and not postgres, template0 or template1); "
        "PGPORT='x' is not a TCP port"
    )


def test_settings_defaults():
    settings = Settings.from_environment(
        {"POSTGRES_PASSWORD": "s3cret", "POSTGRES_DATABASES": "analytics, analytics_express"}
    )
    assert settings.databases == ("analytics", "analytics_express")
    assert (settings.user, settings.port, settings.listen) == ("app", 5432, "127.0.0.1")
    assert settings.data == Path("/var/lib/postgresql/data")


def test_scram_verifier_checks_rfc_7677s_exchange():
    """RFC 7677's example exchange (user "user", password "pencil"), checked the way the
    server checks it: the client's proof must match the stored key, and the server
    signature made with the server key must be the RFC's."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    iterations, _, keys = (
        scram_verifier("pencil", salt).removeprefix("SCRAM-SHA-256$").partition("$")
    )
    assert iterations == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(key) for key in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (
        f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        f"c=biws,r={nonce}"
    ).encode()
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_signature = hmac.digest(stored_key, auth_message, "sha256")
    client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    server_signature = hmac.digest(server_key, auth_message, "sha256")
    assert (
        base64.b64encode(server_signature).decode()
        == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )


def test_setup_sql_leaves_what_exists():
    settings = Settings.from_environment(
        {"POSTGRES_PASSWORD": "pw", "POSTGRES_DATABASES": "analytics"}
    )
    sql = setup_sql(settings, "SCRAM-SHA-256$4096:c2FsdA==$a:b")
    assert "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app')\\gexec" in sql
    assert "CREATE DATABASE analytics OWNER app" in sql
    assert "'pw'" not in sql


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A directory the unprivileged user can reach (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="entrypoint-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(url: str, query: str) -> str:
    return subprocess.run(
        [str(BIN / "psql"), "--no-psqlrc", "--tuples-only", "--no-align", url, "-c", query],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def start(data: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    """The entrypoint as the image runs it: unprivileged, the cluster in ``data``. The
    program is copied beside the data: the runfiles are not the unprivileged user's."""
    nobody = pwd.getpwnam("nobody")
    as_user = []
    if os.geteuid() == 0:
        as_user = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                   "--clear-groups", "--"]  # fmt: skip
    program = data.parent / "entrypoint.py"
    program.write_text(ENTRYPOINT.read_text())
    data.parent.chmod(0o755)
    return subprocess.Popen(
        [*as_user, sys.executable, str(program)],
        env={"PGDATA": str(data), "PGPORT": str(port), **env, "PATH": os.environ["PATH"]},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the entrypoint exited {server.returncode}:\n{server.stdout.read()}")
        try:
            psql(url, "SELECT 1")
            return
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within 60 s")


def stop(server: subprocess.Popen[str]) -> str:
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=30) == 0
    return server.stdout.read()


def test_a_cluster_for_the_services_kept_across_restarts(workdir):
    data = workdir / "postgresql"
    data.mkdir(mode=0o700)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(data, nobody.pw_uid, nobody.pw_gid)
    port = free_port()
    env = {"POSTGRES_PASSWORD": "first", "POSTGRES_DATABASES": "analytics"}
    server = start(data / "data", port, env)
    url = f"postgresql://app:first@127.0.0.1:{port}/analytics"
    try:
        wait_for(url, server)
        assert psql(url, "SELECT current_user, pg_encoding_to_char(encoding), datlocprovider, "
                    "datlocale FROM pg_database WHERE datname = current_database()"
                    ) == "app|UTF8|b|C.UTF-8"  # fmt: skip
        psql(url, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)")
    finally:
        log = stop(server)
    assert "role app, databases analytics; serving on 127.0.0.1" in log

    # Again, with a new password and a second database: the data stays, both are served.
    env = {"POSTGRES_PASSWORD": "second", "POSTGRES_DATABASES": "analytics,analytics_express"}
    server = start(data / "data", port, env)
    try:
        wait_for(f"postgresql://app:second@127.0.0.1:{port}/analytics_express", server)
        assert (
            psql(f"postgresql://app:second@127.0.0.1:{port}/analytics", "SELECT id FROM kept")
            == "7"
        )
        with pytest.raises(subprocess.CalledProcessError):
            psql(url, "SELECT 1")  # the old password
        # The superuser has no password: it cannot log in over TCP.
        with pytest.raises(subprocess.CalledProcessError):
            psql(f"postgresql://postgres@127.0.0.1:{port}/postgres", "SELECT 1")
    finally:
        stop(server)


def test_refuses_to_start_without_a_password(workdir):
    (workdir / "postgresql").mkdir()
    server = start(
        workdir / "postgresql" / "data", free_port(), {"POSTGRES_DATABASES": "analytics"}
    )
    assert server.wait(timeout=30) == 1
    assert server.stdout.read().strip() == (
        "postgres entrypoint: cannot start: POSTGRES_PASSWORD is not set: give the "
        "application role a password"
    )
