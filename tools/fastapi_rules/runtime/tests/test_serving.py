"""The app served by servicekit.serve over real HTTP: offline docs, graceful shutdown,
and metrics across several uvicorn workers."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from servicekit import Brand, ServiceSettings, create_app
from servicekit.serve import drain_hook
from servicekit.testing import free_port

FACTORY = "tools.fastapi_rules.runtime.tests.sample_app:build"


def fetch(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def served(**env: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "servicekit.serve", "--app", FACTORY, "--factory",
         "--port", str(port)],
        env={**os.environ, "HOST": "127.0.0.1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if fetch(base + "/health/live", timeout=1)[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not start:\n{process.communicate()[0]}")
        time.sleep(0.1)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_openapi_and_docs_are_served_with_no_network():
    with served() as (base, _):
        status, document = fetch(base + "/openapi.json")
        assert status == 200
        info = json.loads(document)["info"]
        assert info["title"] == "TradingSystem · Sample"
        assert info["version"] == "1.2.3"
        assert info["x-logo"] == {
            "url": "/_docs/brand/logo.svg",
            "altText": "TradingSystem",
            "backgroundColor": "#0b1f3a",
        }
        assert info["contact"]["name"] == "Platform team"  # the service's own, not the brand's
        assert info["termsOfService"] == "https://tradingsystem.example/terms"
        for page in ("/docs", "/redoc"):
            status, html = fetch(base + page)
            assert status == 200
            text = html.decode()
            # Every script and stylesheet comes from the service itself.
            assets = re.findall(r'(?:src|href)="([^"]+)"', text)
            assert assets, page
            assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
            for asset in assets:
                asset_status, body = fetch(base + asset)
                assert asset_status == 200, asset
                assert body
        swagger = fetch(base + "/docs")[1].decode()
        assert "#0b1f3a" in swagger  # the company's colours
        assert '<img src="/_docs/brand/logo.svg" alt="TradingSystem">' in swagger
        assert '<link rel="icon" href="/_docs/brand/favicon.svg">' in swagger
        assert "<title>TradingSystem · Sample API</title>" in swagger
        status, logo = fetch(base + "/_docs/brand/logo.svg")
        assert status == 200
        assert b"TradingSystem" in logo


def test_sigterm_drains_then_finishes_in_flight_requests():
    with served(DRAIN_SECONDS="1.5") as (base, process):
        slow: dict[str, object] = {}

        def call_slow() -> None:
            slow["result"] = fetch(base + "/slow?seconds=2.5", timeout=10)

        worker = threading.Thread(target=call_slow)
        worker.start()
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        status, body = fetch(base + "/health/ready")
        assert status == 503  # draining: load balancers stop sending traffic
        assert json.loads(body)["checks"]["shutdown"]["status"] == "fail"
        worker.join(timeout=15)
        assert slow["result"] == (200, b'{"slept":2.5}')  # in-flight request finished
        # uvicorn re-raises the signal it stopped for, so the exit status says SIGTERM.
        assert process.wait(timeout=15) in (0, -signal.SIGTERM)
        output = process.stdout.read() if process.stdout else ""
        assert '"event": "service stopped"' in output


def test_metrics_add_up_across_workers(tmp_path):
    settings = {"SAMPLE_RATE_LIMIT__ENABLED": "false"}  # hundreds of quick requests
    with served(WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(tmp_path), **settings) as (
        base,
        _,
    ):
        # New connections land on either worker; ask until both have answered.
        pids: list[int] = []
        while len(set(pids)) < 2 and len(pids) < 500:
            pids.append(json.loads(fetch(base + "/worker")[1])["pid"])
        assert len(set(pids)) == 2, "only one worker ever answered"
        for _ in range(4):  # each scrape is answered by either worker
            status, text = fetch(base + "/metrics")
            assert status == 200
            lines = [
                line
                for line in text.decode().splitlines()
                if line.startswith("http_requests_total{") and 'path="/worker"' in line
            ]
            assert sum(float(line.rsplit(" ", 1)[1]) for line in lines) == len(pids)


def test_the_server_tells_the_app_it_serves_to_drain():
    app, other = create_app(ServiceSettings(), name="x"), create_app(ServiceSettings(), name="y")
    start_draining = drain_hook(app)
    assert start_draining is not None
    start_draining()
    assert app.state.health.draining
    assert not other.state.health.draining
    assert drain_hook(FastAPI()) is None  # any ASGI app is served, without readiness


def test_a_service_can_carry_another_brand(tmp_path):
    logo = tmp_path / "acme.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    brand = Brand(name="Acme <Markets>", logo=logo, primary_colour="#123456", contact={})
    app = create_app(ServiceSettings(), name="x", title="Pricing", version="1", brand=brand)
    document = app.openapi()
    assert document["info"]["title"] == "Acme <Markets> · Pricing"
    assert document["info"]["x-logo"]["url"] == "/_docs/brand/logo.png"
    with TestClient(app) as client:
        page = client.get("/docs").text
        assert 'alt="Acme &lt;Markets&gt;"' in page  # escaped, never markup
        assert "#123456" in page
        served = client.get("/_docs/brand/logo.png")
        assert served.headers["content-type"] == "image/png"
        assert served.content == logo.read_bytes()


def test_a_missing_database_url_stops_the_service_with_one_line():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAMPLE_")}
    result = subprocess.run(
        [sys.executable, "-m", "servicekit.serve", "--app",
         "tools.fastapi_rules.runtime.tests.sample_app:build_with_database", "--factory",
         "--port", str(free_port())],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        "sample: cannot start: SAMPLE_DATABASE__URL is not set: give the service its "
        "PostgreSQL, e.g. SAMPLE_DATABASE__URL=postgresql://user:password@host:5432/database\n"
    )


def test_an_unreachable_database_stops_the_service_with_one_line():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAMPLE_")}
    # Nothing listens on a port just freed.
    url = f"postgresql://app:secret@127.0.0.1:{free_port()}/sample"
    result = subprocess.run(
        [sys.executable, "-m", "servicekit.serve", "--app",
         "tools.fastapi_rules.runtime.tests.sample_app:build_with_database", "--factory",
         "--port", str(free_port())],
        env={**environment, "SAMPLE_DATABASE__URL": url, "SAMPLE_DATABASE__STARTUP_RETRY_S": "0.5"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 3
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    errors = [line for line in lines if line["level"] == "error"]
    port = url.split(":")[3].split("/")[0]
    assert [line["event"] for line in errors][1:] == ["Application startup failed. Exiting."]
    # asyncpg words the refusal in one of two ways.
    assert re.fullmatch(
        rf"sample: cannot start: postgres: PostgreSQL at 127\.0\.0\.1:{port} did not accept a "
        r"connection within 0\.5 s \(ConnectionRefusedError: \[Errno 111\] "
        r"(Connection refused|Connect call failed \('127\.0\.0\.1', \d+\))\); "
        r"check SAMPLE_DATABASE__URL",
        errors[0]["event"],
    ), errors[0]["event"]
    # No traceback, and never the password.
    assert "Traceback" not in result.stdout + result.stderr
    assert "secret" not in result.stdout + result.stderr


def clients_seen(**env: str) -> list[str]:
    """The access lines' clients of a request from 127.0.0.2, a proxy's address, carrying
    X-Forwarded-For: 203.0.113.7."""
    import http.client

    with served(**env) as (base, process):
        port = int(base.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, source_address=("127.0.0.2", 0))
        connection.request("GET", "/orders/1", headers={"X-Forwarded-For": "203.0.113.7"})
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line["client"] for line in lines if line.get("route") == "/orders/{order_id}"]


def test_forwarded_for_counts_only_from_the_proxies_named():
    # Rate limits and access lines count the client address: a proxy's own, unless
    # FORWARDED_ALLOW_IPS (uvicorn's) names it (docs/troubleshooting.md).
    assert clients_seen() == ["127.0.0.2"]
    assert clients_seen(FORWARDED_ALLOW_IPS="127.0.0.2") == ["203.0.113.7"]


def serve_sample(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAMPLE_")}
    return subprocess.run(
        [sys.executable, "-m", "servicekit.serve", "--app", FACTORY, "--factory",
         "--port", str(free_port())],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


def test_settings_that_do_not_validate_stop_the_service_with_one_line_each():
    result = serve_sample(
        SAMPLE_ENVIRONMENT="prod", SAMPLE_RATE_LIMIT__ENABLED="sometimes", FASTAPI_SERVICE_NAME=""
    )
    assert result.returncode == 1
    assert result.stderr == (
        "sample: cannot start: SAMPLE_ENVIRONMENT: Input should be 'development', 'test', "
        "'staging' or 'production'\n"
        "sample: cannot start: SAMPLE_RATE_LIMIT__ENABLED: Input should be a valid boolean, "
        "unable to interpret input\n"
    )
    # Never the value given: it may be a secret.
    assert "sometimes" not in result.stderr


def test_a_model_rule_of_the_settings_is_said_without_a_variable():
    result = serve_sample(SAMPLE_AUTH__JWKS_FILE="/nonexistent.json", FASTAPI_SERVICE_NAME="")
    assert result.returncode == 1
    assert result.stderr == (
        "sample: cannot start: SAMPLE_AUTH: a JWKS needs the issuer its tokens must name "
        "(auth.issuer)\n"
    )
