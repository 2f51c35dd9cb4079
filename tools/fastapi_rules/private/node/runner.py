"""Runs Node.js for node_test and node_binary: the test runner's reporters where Bazel
collects them, and a throwaway PostgreSQL when the program needs one.

- ``--test``: ``node --test`` with the spec reporter on standard output and, when Bazel
  asks for one (XML_OUTPUT_FILE), a JUnit report; ``bazel test --test_filter=REGEX``
  becomes ``--test-name-pattern``.
- ``--postgres-env NAME --postgres always``: Debian's PostgreSQL is started in a
  temporary directory as an unprivileged user (servicekit.postgres_server, the same
  server the Python tests use), and NAME holds the URL of its ``postgres`` database; the
  program creates the databases it needs. Tests use this.
- ``--postgres-env NAME --postgres unset``: only when NAME is unset and the program runs
  under ``bazel run`` (BUILD_WORKSPACE_DIRECTORY is set), NAME gets the URL of a fresh
  database on such a server, so a service that needs PostgreSQL starts with one command.
  Images and deployments always give their own URL.

The server is stopped when Node exits; SIGTERM and SIGINT are passed on to Node, so a
service drains as it would without the runner.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable


def node_command(node_args: list[str], test: bool, environ: dict[str, str]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit(
            "node is not installed: run Bazel through tools/bazel (its build environment has "
            "Debian's nodejs), or apt-get install nodejs"
        )
    command = [node]
    if test:
        command += ["--test", "--test-reporter=spec", "--test-reporter-destination=stdout"]
        if environ.get("XML_OUTPUT_FILE"):
            command += [
                "--test-reporter=junit",
                f"--test-reporter-destination={environ['XML_OUTPUT_FILE']}",
            ]
        if environ.get("TESTBRIDGE_TEST_ONLY"):
            command.append(f"--test-name-pattern={environ['TESTBRIDGE_TEST_ONLY']}")
    return command + node_args


def wants_postgres(mode: str | None, name: str | None, environ: dict[str, str]) -> bool:
    if not name or mode is None:
        return False
    if mode == "always":
        return True
    return not environ.get(name) and "BUILD_WORKSPACE_DIRECTORY" in environ


def run(command: list[str], environ: dict[str, str]) -> int:
    """Runs Node as a child, passing SIGTERM and SIGINT on; returns its exit status."""
    child = subprocess.Popen(command, env=environ)

    def forward(signum: int, _: object) -> None:
        child.send_signal(signum)

    previous: dict[int, Callable[..., object] | int | None] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, forward)
    try:
        status = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - status if status < 0 else status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="run node's test runner")
    parser.add_argument("--postgres-env", help="variable to give a PostgreSQL URL in")
    parser.add_argument(
        "--postgres",
        choices=("always", "unset"),
        help="start PostgreSQL always (tests) or when the variable is unset under bazel run",
    )
    parser.add_argument("node_args", nargs=argparse.REMAINDER, help="-- then Node's arguments")
    args = parser.parse_args(argv)
    node_args = args.node_args[1:] if args.node_args[:1] == ["--"] else args.node_args
    environ = dict(os.environ)
    command = node_command(node_args, args.test, environ)
    if not wants_postgres(args.postgres, args.postgres_env, environ):
        os.execve(command[0], command, environ)
    # Imported only here: the server module's package brings FastAPI along, which a plain
    # Node program does not need to pay for.
    from servicekit.postgres_server import start_postgres

    try:
        server = start_postgres()
    except RuntimeError as error:
        print(f"node runner: {error}", file=sys.stderr)
        return 1
    try:
        url = server.dsn if args.postgres == "always" else server.create_database()
        environ[args.postgres_env] = url
        if args.postgres == "unset":
            print(f"node runner: a throwaway PostgreSQL for {args.postgres_env}: {url}")
        return run(command, environ)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
