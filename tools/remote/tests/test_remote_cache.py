"""`--config=remote-cache` of .bazelrc against nginx with WebDAV on loopback: a second
clean build (a new output base, no disk cache) of a small workspace runs no action, every
one is served from the cache; a changed input runs again; an unreachable cache slows a
build without failing it.

The workspace is tools/remote/probe (genrules, a Starlark rule's action and a test), built
by a nested Bazel in batch mode, each build with an output root of its own, so nothing
but the remote cache connects them. Its .bazelrc holds the repository's remote-cache lines
as .bazelrc has them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROBE = Path(os.environ["PROBE_DIR"])
BAZELRC = Path(os.environ["BAZELRC"])
# The modules bazel_tools asks for that the build environment's system bazelrc does not
# override to Debian's packaged copies (as tools/buildenv/stub_modules).
STUB_MODULES = {
    "apple_support": {},
    "buildozer": {"buildozer_binary.bzl": ""},
    "protobuf": {},
    "zlib": {},
}

NGINX_CONF = """\
user root;
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{}}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # Bazel uploads outputs of any size.
    client_max_body_size 0;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            root {dir}/cache;
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Nginx:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list[tuple[str, int]]:
        """(method, status) of every request so far."""
        found = []
        for line in (self.directory / "access.log").read_text().splitlines():
            match = re.search(r'"(GET|PUT|HEAD) \S+ [^"]*" (\d{3})', line)
            if match:
                found.append((match[1], int(match[2])))
        return found


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx_bin).exists():
        pytest.fail(
            "nginx is not installed: run this through tools/bazel "
            "(its build environment has Debian's nginx)"
        )
    directory = tmp_path_factory.mktemp("nginx")
    (directory / "cache").mkdir()
    server = Nginx(directory, free_port())
    (directory / "nginx.conf").write_text(NGINX_CONF.format(dir=directory, port=server.port))
    process = subprocess.Popen(
        [
            nginx_bin,
            "-p",
            str(directory),
            "-e",
            str(directory / "error.log"),
            "-c",
            str(directory / "nginx.conf"),
        ]
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{server.url}/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering, with a 403 or 404 for the empty root
            except OSError:
                assert process.poll() is None, (directory / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def remote_cache_config() -> list[str]:
    """The lines of the repository's .bazelrc that make --config=remote-cache."""
    lines = [
        line for line in BAZELRC.read_text().splitlines() if re.match(r"^\w+:remote-cache\s", line)
    ]
    assert lines, f"{BAZELRC} has no --config=remote-cache lines"
    return lines


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("probe")
    work = root / "workspace"
    work.mkdir()
    for source, target in (
        ("probe.MODULE.bazel", "MODULE.bazel"),
        ("probe.BUILD.bazel", "BUILD.bazel"),
        ("defs.bzl", "defs.bzl"),
        ("input.txt", "input.txt"),
        ("probe_test.sh", "probe_test.sh"),
    ):
        shutil.copy(PROBE / source, work / target)
    (work / "probe_test.sh").chmod(0o755)
    overrides = []
    for name, files in STUB_MODULES.items():
        stub = root / "stub_modules" / name
        stub.mkdir(parents=True)
        (stub / "MODULE.bazel").write_text(f'module(name = "{name}")\n')
        (stub / "BUILD.bazel").write_text("")
        for file_name, content in files.items():
            (stub / file_name).write_text(content)
        overrides.append(f"common --override_module={name}={stub}")
    (work / ".bazelrc").write_text(
        "\n".join(
            [
                "common --enable_bzlmod",
                "common --noenable_workspace",
                *overrides,
                "# From the repository's .bazelrc:",
                *remote_cache_config(),
            ]
        )
        + "\n"
    )
    return work


@dataclass
class Build:
    returncode: int
    output: str
    seconds: float
    spawns: list[dict]

    @property
    def processes(self) -> dict[str, int]:
        """Bazel's closing count: "N processes: 3 remote cache hit, 2 internal." as
        {"remote cache hit": 3, "internal": 2}."""
        match = re.search(r"^INFO: \d+ process(?:es)?(?:: (.*))?\.$", self.output, re.MULTILINE)
        assert match, self.output[-3000:]
        counts = {}
        for part in (match[1] or "").split(", "):
            if part:
                number, _, kind = part.partition(" ")
                counts[kind] = int(number)
        return counts


def bazel(workspace: Path, output_root: Path, cache_url: str, command: str = "test") -> Build:
    log = output_root.with_suffix(".exec.json")
    started = time.monotonic()
    ran = subprocess.run(
        [
            "bazel",
            "--batch",
            f"--output_user_root={output_root}",
            command,
            "--config=remote-cache",
            f"--remote_cache={cache_url}",
            "--disk_cache=",
            f"--repository_cache={output_root.parent / 'repository_cache'}",
            # The outer test's sandbox already isolates; sandboxes do not change cache keys.
            "--spawn_strategy=local",
            f"--execution_log_json_file={log}",
            "--color=no",
            "--curses=no",
            "//...",
        ],
        cwd=workspace,
        env={"PATH": os.environ["PATH"], "HOME": str(output_root.parent), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    seconds = time.monotonic() - started
    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if outputs and log.exists():
        shutil.copy(log, Path(outputs) / log.name)
    spawns = []
    if log.exists():
        text, decoder, position = log.read_text(), json.JSONDecoder(), 0
        while position < len(text):
            while position < len(text) and text[position].isspace():
                position += 1
            if position < len(text):
                spawn, position = decoder.raw_decode(text, position)
                spawns.append(spawn)
    return Build(ran.returncode, ran.stdout + ran.stderr, seconds, spawns)


@pytest.fixture(scope="module")
def builds(
    workspace: Path, nginx: Nginx, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Build]]:
    roots = tmp_path_factory.mktemp("output_roots")
    first = bazel(workspace, roots / "first", nginx.url)
    assert first.returncode == 0, first.output[-5000:]
    uploads = [request for request in nginx.requests() if request[0] == "PUT"]
    second = bazel(workspace, roots / "second", nginx.url)
    assert second.returncode == 0, second.output[-5000:]
    print(
        f"first build {first.seconds:.1f} s, second (clean, from the cache) {second.seconds:.1f} s"
    )
    yield {"first": first, "second": second, "uploads": uploads}  # type: ignore[misc]
    # Two output roots of a few hundred megabytes: not left behind.
    shutil.rmtree(roots, ignore_errors=True)


def test_the_first_build_runs_actions_and_uploads_them(builds: dict) -> None:
    first = builds["first"]
    ran = {
        kind: n
        for kind, n in first.processes.items()
        if kind not in ("internal", "remote cache hit")
    }
    assert sum(ran.values()) >= 4, first.processes  # numbers, sums, digest, the test
    assert len(builds["uploads"]) >= 8, builds["uploads"]  # an action result and its outputs each
    assert all(status in (200, 201, 204) for _, status in builds["uploads"]), builds["uploads"]


def test_a_second_clean_build_runs_no_action(builds: dict) -> None:
    second = builds["second"]
    counts = second.processes
    assert counts.get("remote cache hit", 0) >= 4, counts
    assert set(counts) <= {"remote cache hit", "internal"}, f"actions ran again: {counts}"
    assert second.spawns, "no execution log"
    runners = {(s["targetLabel"], s["mnemonic"], s["runner"]) for s in second.spawns}
    assert all(runner == "remote cache hit" for _, _, runner in runners), runners
    labels = {label for label, _, _ in runners}
    assert labels == {"//:numbers", "//:sums", "//:digest", "//:probe_test"}, labels
    assert re.search(r"//:probe_test +\(cached\) PASSED", second.output), second.output[-3000:]


def test_a_changed_input_runs_again(
    builds: dict, workspace: Path, nginx: Nginx, tmp_path: Path
) -> None:
    (workspace / "input.txt").write_text(f"changed at {time.time()}\n")
    try:
        changed = bazel(workspace, tmp_path / "changed", nginx.url)
    finally:
        shutil.copy(PROBE / "input.txt", workspace / "input.txt")
        shutil.rmtree(tmp_path / "changed", ignore_errors=True)
    assert changed.returncode == 0, changed.output[-5000:]
    ran = {s["targetLabel"] for s in changed.spawns if not s["cacheHit"]}
    hits = {s["targetLabel"] for s in changed.spawns if s["cacheHit"]}
    # sums reads the input, digest reads sums, the test reads digest; numbers reads none.
    assert ran == {"//:sums", "//:digest", "//:probe_test"}, changed.spawns
    assert "//:numbers" in hits, changed.spawns


def test_an_unreachable_cache_does_not_fail_the_build(workspace: Path, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    build = bazel(workspace, tmp_path / "unreachable", closed, command="build")
    shutil.rmtree(tmp_path / "unreachable", ignore_errors=True)
    assert build.returncode == 0, build.output[-5000:]
