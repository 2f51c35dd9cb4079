"""`tools/bazel run //services:up`, as a developer runs it: every service of the port
registry is started (PostgreSQL included where a service needs one), ready, listed in the
table with its docs URL, its lines prefixed by its name; SIGTERM stops every process the
launcher started, the PostgreSQL servers included.

The launcher runs with --any-port: the registered ports may be taken on a machine that
runs other tests or a developer's services.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

UP = Path(os.environ["UP"])
PORTS = json.loads(Path(os.environ["PORTS_JSON"]).read_text())
READY_TIMEOUT_S = 240


@dataclass
class Process:
    pid: int
    start_time: str
    command: str

    def alive(self) -> bool:
        """Whether this very process still runs (not another that got its pid)."""
        stat = read_stat(self.pid)
        return stat is not None and stat[1] == self.start_time


def read_stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a process, None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), fields[19]


def descendants(root: int) -> list[Process]:
    """Every process below ``root`` right now."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := read_stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[0]
    found = []
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor is not None and ancestor != root:
            ancestor = parents.get(ancestor)
        if ancestor == root and (stat := read_stat(pid)) is not None:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            found.append(Process(pid, stat[1], command.strip()))
    return found


class Launcher:
    """The launcher as a child process, its output collected line by line."""

    def __init__(self, tmp: Path) -> None:
        env = {
            **os.environ,
            # What `bazel run` sets, and what makes services start their own PostgreSQL
            # and trust the development identity.
            "BUILD_WORKSPACE_DIRECTORY": str(tmp),
            # The development key pair of this test only, not the machine's.
            "XDG_CACHE_HOME": str(tmp / "cache"),
        }
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [str(UP), "--any-port", "--timeout", "180"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout_s: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while True:
            if match := re.search(pattern, self.output, re.MULTILINE):
                return match
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no /{pattern}/ in the launcher's output:\n{self.output[-20000:]}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    started = Launcher(tmp_path_factory.mktemp("up"))
    try:
        yield started
    finally:
        if started.process.poll() is None:
            started.process.kill()
            started.process.wait()


def table(output: str) -> dict[str, list[str]]:
    """The launcher's table: service name to [port, status, docs]."""
    lines = output.splitlines()
    header = next(
        i for i, line in enumerate(lines) if line.split() == ["service", "port", "status", "docs"]
    )
    rows = {}
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        name, port, *status, docs = line.split()
        rows[name] = [port, " ".join(status), docs]
    return rows


@pytest.fixture(scope="module")
def ready(launcher: Launcher) -> dict[str, list[str]]:
    match = launcher.wait_for(r"(\d+) of (\d+) services ready in ([\d.]+) s", READY_TIMEOUT_S)
    elapsed = time.monotonic() - launcher.started
    print(f"all ready in {match[3]} s by the launcher's count, {elapsed:.1f} s from its start")
    return table(launcher.output)


def test_every_registered_service_is_ready(ready: dict[str, list[str]]) -> None:
    assert sorted(ready) == sorted(PORTS["ports"]), "the table lists the registry's services"
    not_ready = {name: row[1] for name, row in ready.items() if row[1] != "ready"}
    assert not not_ready


def test_each_answers_its_readiness_path(ready: dict[str, list[str]]) -> None:
    for name, (port, _, _) in ready.items():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=5) as answer:
            assert answer.status == 200
            assert json.load(answer)["service"] == name


def test_docs_urls(ready: dict[str, list[str]]) -> None:
    # Every service here serves its API docs, the Express twin too (its README): the table
    # links each page, which answers.
    for port, _, docs in ready.values():
        assert docs == f"http://localhost:{port}/docs"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=5) as answer:
            assert answer.status == 200


def test_logs_are_prefixed_by_name(launcher: Launcher, ready: dict[str, list[str]]) -> None:
    for name in ready:
        assert re.search(
            rf"^{re.escape(name)} +\| .*\"service\": ?\"{re.escape(name)}\"",
            launcher.output,
            re.MULTILINE,
        ), name
    # Services that bring their own database and development identity print a token.
    assert re.search(r"^analytics +\|     export TOKEN=\S+$", launcher.output, re.MULTILINE)


def test_sigterm_stops_every_process(launcher: Launcher, ready: dict[str, list[str]]) -> None:
    below = descendants(launcher.process.pid)
    postgres = [p for p in below if "postgres -D" in p.command]
    # analytics and the Express twin each start a throwaway PostgreSQL under `bazel run`.
    assert len(postgres) >= 2, [p.command for p in below]
    launcher.process.send_signal(signal.SIGTERM)
    assert launcher.process.wait(timeout=90) == 0, launcher.output[-5000:]
    launcher.reader.join(timeout=10)
    assert "SIGTERM: stopping every service" in launcher.output
    assert "every service stopped" in launcher.output
    assert "left" not in "\n".join(line for line in launcher.lines if line.startswith("up "))
    deadline = time.monotonic() + 10
    while (alive := [p for p in below if p.alive()]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive, [p.command for p in alive]
