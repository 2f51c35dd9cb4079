"""A throwaway PostgreSQL server: Debian's postgresql, started with initdb in a temporary
directory on a free loopback port. The tests' plugin (servicekit.testing.postgres) starts
one per session; a service's `bazel run` may start one when no database URL is given.

initdb and postgres refuse to run as root, and the build environment runs as root, so the
server then runs as the unprivileged ``nobody``. Hand-written because pytest-postgresql
does not handle that case.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


INSTALL_HINT = "PostgreSQL is not installed: apt-get install postgresql (tools/bazel provides it)"


def _bin_dir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]),
    )
    if not found:
        on_path = shutil.which("initdb")
        if on_path is None:
            raise RuntimeError(INSTALL_HINT)
        return Path(on_path).parent
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    as_user: list[str] = field(default_factory=list)
    durable_commits: bool = False

    @property
    def dsn(self) -> str:
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Creates an empty database and returns its DSN."""
        name = "test_" + uuid.uuid4().hex[:12]
        subprocess.run(
            [str(_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-qc", f'CREATE DATABASE "{name}"'],
            check=True,
        )  # fmt: skip
        return self.dsn_for(name)

    def halt(self, *, crash: bool = False) -> None:
        """Stops the server and keeps its data: a fast shutdown, or with ``crash`` an
        immediate one (no checkpoint; the next start recovers from the WAL)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT if crash else signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def resume(self, timeout_s: float = 60) -> None:
        """Starts a halted server again on the same port and data."""
        if self.process.poll() is None:
            return
        self.process = _launch(self.directory, self.port, self.as_user, self.durable_commits)
        _wait_until_ready(self, timeout_s)

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.directory, ignore_errors=True)


def _launch(
    directory: Path, port: int, as_user: list[str], durable_commits: bool
) -> subprocess.Popen[bytes]:
    # fsync stays off either way: a crash of the server process leaves the OS's page cache.
    synchronous_commit = "on" if durable_commits else "off"
    return subprocess.Popen(
        [*as_user, str(_bin_dir() / "postgres"), "-D", str(directory / "data"), "-p", str(port),
         "-k", str(directory), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
         "-c", f"synchronous_commit={synchronous_commit}", "-c", "full_page_writes=off"],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "postgres.log", "ab"),
    )  # fmt: skip


def _wait_until_ready(server: PostgresServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        ready = subprocess.run(
            [str(_bin_dir() / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(server.port)],
            check=False,
        )
        if ready.returncode == 0:
            return
        if server.process.poll() is not None or time.monotonic() > deadline:
            log = (server.directory / "postgres.log").read_text(errors="replace")
            server.stop()
            raise RuntimeError(f"PostgreSQL did not start:\n{log}")
        time.sleep(0.1)


def start_postgres(timeout_s: float = 60, *, durable_commits: bool = False) -> PostgresServer:
    """Starts a server. Commits are acknowledged before their WAL is written, which a crash
    of the server (``halt(crash=True)``) then loses; ``durable_commits`` acknowledges them
    only once written, as PostgreSQL's default does in production."""
    bin_dir = _bin_dir()
    directory = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    data = directory / "data"
    data.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in (directory, data):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        as_user = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                   "--clear-groups", "--"]  # fmt: skip
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
         "--auth=trust", "--encoding=UTF8", "--no-sync", "--no-instructions"],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    port = free_port()
    process = _launch(directory, port, as_user, durable_commits)
    server = PostgresServer(directory, port, process, as_user, durable_commits)
    _wait_until_ready(server, timeout_s)
    return server
