"""When the service starts a throwaway database of its own instead of using a URL."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from servicekit import DatabaseSettings
from servicekit.testing import free_port

from services.analytics.main import wants_embedded_database
from services.analytics.settings import Settings

URL = "postgresql://analytics@db.example:5432/analytics"
BAZEL_RUN = {"BUILD_WORKSPACE_DIRECTORY": "/src/fastapi_rules"}


def test_bazel_run_without_a_url_starts_one() -> None:
    assert wants_embedded_database(Settings(), BAZEL_RUN)


def test_tests_and_images_without_a_url_do_not() -> None:
    # There the pool then fails at startup, naming ANALYTICS_DATABASE__URL.
    assert not wants_embedded_database(Settings(), {})


def test_the_setting_asks_for_one_outside_bazel_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYTICS_EMBEDDED_DATABASE", "true")
    assert wants_embedded_database(Settings(), {})


@pytest.mark.parametrize("asked", [True, False])
def test_a_url_always_wins(asked: bool) -> None:
    settings = Settings(database=DatabaseSettings(url=URL), embedded_database=asked)
    assert not wants_embedded_database(settings, BAZEL_RUN)


def test_sigterm_stops_the_embedded_database(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "service.log"
    environment = {
        **os.environ,
        "HOST": "127.0.0.1",
        "DRAIN_SECONDS": "0",
        "ANALYTICS_EMBEDDED_DATABASE": "true",
        "ANALYTICS_LOG_JSON": "true",
    }
    environment.pop("ANALYTICS_DATABASE__URL", None)
    with log.open("w") as output:
        service = subprocess.Popen(
            [sys.executable, "-m", "servicekit.serve", "--app", "services.analytics.main:app",
             "--port", str(port)],
            env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        report = wait_until_ready(f"http://127.0.0.1:{port}/health/ready", service, log)
        assert report["checks"]["embedded-postgres"]["status"] == "pass"
        # Logged before the app exists, so before its JSON logging is installed.
        started = re.search(r"embedded PostgreSQL started.*\bport\W+(\d+)", log.read_text())
        assert started, log.read_text()[-2000:]
        database_port = int(started[1])
        assert accepts_connections(database_port)
        service.send_signal(signal.SIGTERM)
        # uvicorn ends by raising the signal again (a container's PID 1 ignores it: 0).
        assert service.wait(timeout=30) in (0, -signal.SIGTERM), log.read_text()[-2000:]
    finally:
        if service.poll() is None:
            service.kill()
    assert not accepts_connections(database_port), "the embedded PostgreSQL outlived the service"


def accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until_ready(url: str, service: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and service.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return json.load(answer)
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the service did not become ready:\n{log.read_text()[-3000:]}")
