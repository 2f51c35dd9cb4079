"""docs/analytics.md's curl examples, run with real curl against the service as
`tools/bazel run //services/analytics` starts it: its own throwaway PostgreSQL with the
sample trades.

Each ```sh block holding a curl command is one example; the ```http block right after it
is what curl prints (`curl -i`: status line, headers, body), where `...` stands for any
text. The examples run in the doc's order, as a reader would paste them, since later ones
read what earlier ones stored; the doc's port is replaced by the test's free port, and
`$TOKEN` by the token the service printed at start, as a reader's shell would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_blocks import blocks, matches
from servicekit.testing import free_port

DOC = Path(os.environ["DOC"])
MANIFEST = json.loads(Path(os.environ["MANIFEST"]).read_text())
# Every example must address the service here; anything else would reach whatever else
# listens on this machine, or nothing.
DOC_ADDRESS = f"localhost:{MANIFEST['port']}"
# Shell operators, a newline outside quotes among them: each example is one plain command,
# nothing piped or chained, so that the answer below it is that command's.
SHELL_OPERATORS = "();<>|&\n"
STATUS_LINE = re.compile(r"HTTP/\S+ (\d{3})\b")
# The line of the service's development banner that a reader pastes into their shell.
EXPORT_TOKEN = re.compile(r"^\s*export TOKEN=(\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    line: int
    command: str
    expected: str

    @property
    def argv(self) -> list[str]:
        """The command's words as a POSIX shell splits them; operators are words of their
        own (a backslash before a newline continues the line, as in a shell)."""
        lexer = shlex.shlex(
            self.command.replace("\\\n", ""), posix=True, punctuation_chars=SHELL_OPERATORS
        )
        lexer.whitespace = " \t"
        lexer.whitespace_split = True
        return list(lexer)


def examples(markdown: str) -> list[Example]:
    """Every curl command of a ```sh block, with the ```http block that follows it."""
    found: list[Example] = []
    fenced = blocks(markdown, DOC.name)
    for index, block in enumerate(fenced):
        if block.language != "sh" or not re.search(r"^curl\b", block.text, re.MULTILINE):
            continue
        where = f"{DOC.name}:{block.line}"
        following = fenced[index + 1] if index + 1 < len(fenced) else None
        if following is None or following.language != "http":
            raise ValueError(
                f"{where}: the curl command needs its answer, a ```http block, right after it"
            )
        found.append(Example(block.line, block.text.strip(), following.text.strip()))
    return found


EXAMPLES = examples(DOC.read_text())


def wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    # Starting PostgreSQL, migrating, loading the sample and the model: seconds, not minutes.
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/health/ready", timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the service did not become ready; its log:\n{log.read_text()}")
            time.sleep(0.2)


@dataclass(frozen=True)
class Service:
    address: str
    token: str


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service, started as `bazel run` starts it, and the token it printed."""
    port = free_port()
    env = {
        **os.environ,
        # What `bazel run` gives the binary from its BUILD declaration (the manifest's record).
        **MANIFEST["env"],
        "FASTAPI_SERVICE_NAME": MANIFEST["name"],
        "FASTAPI_SERVICE_TITLE": MANIFEST["title"],
        "FASTAPI_SERVICE_VERSION": MANIFEST["version"],
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # What BUILD_WORKSPACE_DIRECTORY decides under `bazel run` (main.py).
        "ANALYTICS_EMBEDDED_DATABASE": "true",
        # Stop at once when the module is done; no load balancer to drain for.
        "DRAIN_SECONDS": "0",
        # The development key pair of this test only, not the machine's.
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache")),
    }
    env.pop("ANALYTICS_DATABASE__URL", None)
    log = tmp_path_factory.mktemp("service") / "service.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [os.environ["SERVICE"]], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, process, log)
        printed = EXPORT_TOKEN.search(log.read_text())
        assert printed, f"the service printed no 'export TOKEN=' line:\n{log.read_text()}"
        yield Service(f"127.0.0.1:{port}", printed[1])
    finally:
        # Ctrl-C, as under `bazel run`: uvicorn shuts down, then re-raises SIGINT, and the
        # KeyboardInterrupt runs main.py's atexit, which stops the embedded PostgreSQL. (A
        # re-raised SIGTERM would kill the process before atexit.)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


@pytest.fixture(scope="module")
def curl() -> str:
    found = shutil.which("curl")
    if found is None:
        pytest.fail(
            "curl is not on PATH: the build environment needs Debian's curl package "
            "(tools/buildenv/packages.txt); run this test through tools/bazel"
        )
    return found


def test_the_doc_has_examples() -> None:
    assert EXAMPLES, f"{DOC.name} has no curl example"


def request_line(argv: list[str]) -> tuple[str, str]:
    """The method and path a curl command asks for (curl sends a POST when given data)."""
    method = argv[argv.index("-X") + 1] if "-X" in argv else None
    if method is None:
        method = "POST" if "-d" in argv else "GET"
    (url,) = [arg for arg in argv if DOC_ADDRESS in arg]
    return method, urllib.parse.urlsplit("http://" + url).path


def test_every_endpoint_has_an_example(service: Service) -> None:
    # From the running service's OpenAPI document: a new endpoint needs its example here.
    with urllib.request.urlopen(f"http://{service.address}/openapi.json", timeout=10) as answer:
        paths = json.load(answer)["paths"]
    asked = [request_line(example.argv) for example in EXAMPLES]
    missing = []
    for template, operations in paths.items():
        if not template.startswith("/v1/"):
            continue  # servicekit's own paths: health, metrics, docs (logging.md)
        pattern = re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)))
        for method in operations:
            if not any(m == method.upper() and pattern.fullmatch(p) for m, p in asked):
                missing.append(f"{method.upper()} {template}")
    assert not missing, f"{DOC.name} has no example of {missing}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line {e.line}")
def test_example(example: Example, curl: str, service: Service) -> None:
    where = f"{DOC.name}:{example.line}"
    argv = example.argv
    operators = [word for word in argv if set(word) <= set(SHELL_OPERATORS)]
    assert argv[0] == "curl", f"{where}: the block's command is not curl: {argv[0]}"
    assert not operators, (
        f"{where}: one plain curl command a block, without shell operators or a second "
        f"line: {operators}"
    )
    assert any(DOC_ADDRESS in arg for arg in argv), f"{where}: the command names no {DOC_ADDRESS}"
    expected_status = STATUS_LINE.match(example.expected)
    assert expected_status, f"{where}: the answer starts with curl -i's status line"

    ran = subprocess.run(
        [
            curl,
            *(
                arg.replace(DOC_ADDRESS, service.address).replace("$TOKEN", service.token)
                for arg in argv[1:]
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, f"{where}: curl exited with {ran.returncode}: {ran.stderr}"
    # curl -i prints the header lines as HTTP sends them, ending in CR LF.
    actual = ran.stdout.replace("\r\n", "\n").strip()
    status = STATUS_LINE.match(actual)
    assert status, f"{where}: curl printed no status line:\n{actual}"
    assert status[1] == expected_status[1], (
        f"{where}: status {status[1]}, the doc shows {expected_status[1]}:\n{actual}"
    )
    assert matches(example.expected, actual), (
        f"{where}: the answer differs from the doc's\n--- doc\n{example.expected}\n"
        f"--- curl\n{actual}"
    )
