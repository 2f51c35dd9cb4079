"""A registry on loopback that asks for a password: Debian's docker-registry with an
htpasswd file (bcrypt, the only scheme it reads). Tests start it with ``registry()``;
``bazel run`` of ``:registry`` serves one until interrupted, for checks run from a shell.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bcrypt


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@contextmanager
def registry(directory: Path, address: str, user: str, password: str) -> Iterator[str]:
    """Serves until the block ends; yields ``address`` once the registry asks for credentials."""
    if not shutil.which("docker-registry"):
        raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
    htpasswd = directory / "htpasswd"
    htpasswd.write_bytes(user.encode() + b":" + bcrypt.hashpw(password.encode(), bcrypt.gensalt()))
    config = directory / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        f"http:\n  addr: {address}\n"
        f"auth:\n  htpasswd:\n    realm: tests\n    path: {htpasswd}\n"
    )
    server = subprocess.Popen(["docker-registry", "serve", str(config)])
    try:
        deadline = time.monotonic() + 30
        while (status := _status(f"http://{address}/v2/")) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if status != 401:
            raise RuntimeError(f"the registry at {address} answered {status}, not 401")
        yield address
    finally:
        server.terminate()
        server.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="HOST:PORT, e.g. 127.0.0.1:5000")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with (
        tempfile.TemporaryDirectory() as directory,
        registry(Path(directory), args.address, args.user, args.password),
    ):
        print(f"registry on {args.address}, user {args.user}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
