"""The launcher's ordering, selection, environment and table, and its supervision of real
processes: small HTTP servers standing in for services (one leaves a child running behind
it, as a service that dies without stopping its PostgreSQL would)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from launcher import (
    Console,
    Launcher,
    LauncherError,
    Service,
    child_environment,
    dependency_waves,
    free_port,
    group_members,
    load_services,
    parse_ports,
    select,
    table,
)


def service(name: str, depends_on: list[str] | None = None, **kwargs: object) -> Service:
    fields: dict = {
        "port": 4100,
        "framework": "fastapi",
        "ready_path": "/health/ready",
        "executable": Path("/bin/false"),
        "env": {},
    }
    fields.update(kwargs)
    return Service(name=name, depends_on=depends_on or [], **fields)


def names(waves: list[list[Service]]) -> list[list[str]]:
    return [[s.name for s in wave] for wave in waves]


def test_independent_services_start_together() -> None:
    assert names(dependency_waves([service("b"), service("a")])) == [["a", "b"]]


def test_dependencies_start_first() -> None:
    services = [
        service("web", ["api"]),
        service("api", ["auth", "db"]),
        service("db"),
        service("auth", ["db"]),
        service("docs"),
    ]
    assert names(dependency_waves(services)) == [["db", "docs"], ["auth"], ["api"], ["web"]]


def test_an_unknown_dependency_is_named() -> None:
    message = "web depends on api, which is not a service here; known: db, web"
    with pytest.raises(LauncherError, match=f"^{re.escape(message)}$"):
        dependency_waves([service("web", ["api"]), service("db")])


def test_a_cycle_is_named() -> None:
    with pytest.raises(LauncherError, match=r"^the dependencies of a, b form a cycle$"):
        dependency_waves([service("a", ["b"]), service("b", ["a"]), service("c")])


def test_selecting_brings_dependencies() -> None:
    services = [service("web", ["api"]), service("api"), service("other")]
    assert [s.name for s in select(services, ["web"])] == ["web", "api"]
    assert [s.name for s in select(services, [])] == ["web", "api", "other"]
    with pytest.raises(LauncherError, match=r"no service 'nope'; the services are api, other, web"):
        select(services, ["nope"])


def test_ports_are_name_equals_number() -> None:
    assert parse_ports(["a=4150", "b=1"]) == {"a": 4150, "b": 1}
    with pytest.raises(LauncherError, match=r"--port a:4150: write it as NAME=PORT"):
        parse_ports(["a:4150"])


def test_environment_of_a_service() -> None:
    environ = {"PYTHONPATH": "/launcher", "HOME": "/root", "BUILD_WORKSPACE_DIRECTORY": "/w"}
    env = child_environment(service("a", port=4242, env={"FASTAPI_SERVICE_NAME": "a"}), environ)
    assert env == {
        "HOME": "/root",
        "BUILD_WORKSPACE_DIRECTORY": "/w",
        "DRAIN_SECONDS": "0",
        "FASTAPI_SERVICE_NAME": "a",
        "PORT": "4242",
    }
    # The caller's choice stands.
    assert child_environment(service("a"), {"DRAIN_SECONDS": "3"})["DRAIN_SECONDS"] == "3"


def test_table() -> None:
    a = service("analytics", port=4101, status="ready", docs_url="http://localhost:4101/docs")
    b = service("express", port=4201, status="exited (1)")
    assert table([a, b]) == textwrap.dedent("""\
        service    port  status      docs
        analytics  4101  ready       http://localhost:4101/docs
        express    4201  exited (1)  -""")


def test_load_services(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(
        json.dumps(
            {
                "name": "a",
                "port": 4100,
                "framework": "fastapi",
                "health": {"ready": "/r"},
                "depends_on": ["b"],
            }
        )
    )
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"services": [{"executable": "bin/a", "manifest": "m.json", "env": {"X": "1"}}]})
    )
    (loaded,) = load_services(config, tmp_path)
    assert (loaded.name, loaded.port, loaded.ready_path, loaded.env, loaded.depends_on) == (
        "a",
        4100,
        "/r",
        {"X": "1"},
        ["b"],
    )
    assert loaded.executable == tmp_path / "bin/a"


# A stand-in service: answers its readiness path with its name once `delay` has passed,
# and /docs when asked to; with `orphan`, starts a child that outlives it (sleep).
SERVER = """\
import http.server, json, os, signal, subprocess, sys, time
name, delay = sys.argv[1], float(sys.argv[2])
docs, orphan = sys.argv[3] == "docs", sys.argv[4] == "orphan"
if orphan:
    subprocess.Popen(["sleep", "300"])
time.sleep(delay)
print(f"{name} listening on {os.environ['PORT']}", flush=True)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health/ready" or (docs and self.path == "/docs"):
            body = json.dumps({"service": name, "status": "pass"}).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)
    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    server.serve_forever()
finally:
    print(f"{name} stopping", flush=True)
"""


def fake(
    tmp_path: Path,
    name: str,
    *,
    delay: float = 0,
    docs: bool = False,
    orphan: bool = False,
    depends_on: list[str] | None = None,
    exit_code: int | None = None,
) -> Service:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    program = tmp_path / name
    if exit_code is not None:
        program.write_text(f"#!/bin/sh\necho {name} fails\nexit {exit_code}\n")
    else:
        arguments = f"{name} {delay} {'docs' if docs else '-'} {'orphan' if orphan else '-'}"
        program.write_text(f"#!/bin/sh\nexec {sys.executable} {script} {arguments}\n")
    program.chmod(0o755)
    return service(name, depends_on, port=free_port(), executable=program)


RUNNING: list[Launcher] = []


@pytest.fixture(autouse=True)
def stop_launchers() -> object:
    """A failed assertion must not leave a launcher and its services running."""
    yield
    while RUNNING:
        launcher = RUNNING.pop()
        launcher.stop_requested.set()


def run_in_thread(launcher: Launcher) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(launcher.run()), daemon=True)
    RUNNING.append(launcher)
    thread.start()
    return thread, result


def row(text: str, name: str) -> list[str]:
    """The cells of the table's row for ``name``."""
    rows = [line.split() for line in text.splitlines()]
    (cells,) = [cells for cells in rows if cells[:1] == [name] and cells[1].isdigit()]
    return cells


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_starts_in_order_prints_the_table_and_stops(tmp_path: Path) -> None:
    db = fake(tmp_path, "db", delay=0.5)
    api = fake(tmp_path, "api", docs=True, depends_on=["db"], orphan=True)
    output = io.StringIO()
    console = Console(output, ["db", "api"])
    launcher = Launcher([api, db], console, timeout_s=30, stop_timeout_s=5, environ=os.environ)
    thread, result = run_in_thread(launcher)
    wait_for(lambda: "services ready" in output.getvalue())
    text = output.getvalue()
    # db was ready before api was started.
    assert text.index("db is ready") < text.index("starting api")
    assert row(text, "api") == ["api", str(api.port), "ready", f"http://localhost:{api.port}/docs"]
    assert row(text, "db") == ["db", str(db.port), "ready", "-"]
    assert "2 of 2 services ready" in text
    # Their lines, prefixed by their names.
    assert f"api | api listening on {api.port}" in text
    assert api.process is not None
    pgid = api.process.pid
    assert any("sleep 300" in member for member in group_members(pgid))

    launcher.request_stop(signal.SIGTERM, None)
    thread.join(timeout=60)
    text = output.getvalue()
    # api stops before db, the service that depends on the other first.
    assert text.index("api stopped") < text.index("db stopped")
    assert "api | api stopping" in text
    # The child api left running went with its process group.
    assert "api left 1 process(es) running" in text
    assert group_members(pgid) == []
    assert not api.running
    assert not db.running
    # A process left behind counts as a failure to stop cleanly.
    assert result == [1]


def test_a_clean_stop_exits_0(tmp_path: Path) -> None:
    one = fake(tmp_path, "one")
    output = io.StringIO()
    launcher = Launcher([one], Console(output, ["one"]), 30, 5, os.environ)
    thread, result = run_in_thread(launcher)
    wait_for(lambda: "1 of 1 services ready" in output.getvalue())
    launcher.request_stop(signal.SIGINT, None)
    thread.join(timeout=60)
    assert result == [0]
    assert "SIGINT: stopping every service" in output.getvalue()


def test_a_failed_service_blocks_its_dependents(tmp_path: Path) -> None:
    broken = fake(tmp_path, "broken", exit_code=3)
    web = fake(tmp_path, "web", depends_on=["broken"])
    alone = fake(tmp_path, "alone")
    output = io.StringIO()
    launcher = Launcher(
        [broken, web, alone], Console(output, ["broken", "web", "alone"]), 30, 5, os.environ
    )
    thread, result = run_in_thread(launcher)
    wait_for(lambda: "services ready" in output.getvalue())
    text = output.getvalue()
    assert "broken | broken fails" in text
    assert "broken: exited (3); its log is above" in text
    assert "not started: broken not ready" in text
    assert "1 of 3 services ready" in text
    assert web.process is None
    launcher.request_stop(signal.SIGTERM, None)
    thread.join(timeout=60)
    assert result == [1]


def test_a_service_not_ready_in_time(tmp_path: Path) -> None:
    slow = fake(tmp_path, "slow", delay=30)
    output = io.StringIO()
    launcher = Launcher(
        [slow], Console(output, ["slow"]), timeout_s=1, stop_timeout_s=5, environ=os.environ
    )
    thread, result = run_in_thread(launcher)
    wait_for(lambda: "services ready" in output.getvalue())
    assert "slow: not ready after 1 s; its log is above" in output.getvalue()
    launcher.request_stop(signal.SIGTERM, None)
    thread.join(timeout=60)
    assert result == [1]
    assert not slow.running


def test_a_port_in_use_is_not_probed(tmp_path: Path) -> None:
    import socket

    taken = fake(tmp_path, "taken")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", taken.port))
        listener.listen()
        output = io.StringIO()
        launcher = Launcher([taken], Console(output, ["taken"]), 30, 5, os.environ)
        assert launcher.run() == 1
    text = output.getvalue()
    assert f"taken: port {taken.port} is already in use on this machine" in text
    assert "-- --port taken=PORT" in text
    assert taken.process is None
