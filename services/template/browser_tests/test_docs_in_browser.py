"""The service's API documentation in a real browser: headless Chromium from Debian,
driven with Playwright, against the service as `bazel run` serves it.

Each page must render with no failed request and no console error, carry the brand's name
and logo, and Swagger UI's "Try it out" must get a 401 problem without a token and a 200
once a token is entered through "Authorize". Screenshots go to Bazel's undeclared test
outputs (bazel-testlogs/.../test.outputs/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from servicekit.testing import TokenIssuer, free_port

CHROMIUM = "/usr/bin/chromium"
# What headless Chromium needs as root on a machine with no network beyond loopback: no
# sandbox (root), and none of the background connections it would make at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BRAND = "TradingSystem"
OUTPUTS = Path(os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", "/tmp"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(Path(os.environ["MANIFEST"]).read_text())


@pytest.fixture(scope="module")
def issuer(manifest, tmp_path_factory) -> TokenIssuer:
    """The identity provider whose tokens the service trusts, and the page is given."""
    return TokenIssuer.create(tmp_path_factory.mktemp("identity"), audience=manifest["name"])


@pytest.fixture(scope="module")
def service(manifest, issuer) -> Iterator[str]:
    port = free_port()
    prefix = manifest["name"].upper() + "_AUTH__"
    # What `bazel run` gives the binary from its BUILD declaration (the manifest's record),
    # and the identity provider's keys.
    env = {
        **os.environ,
        **manifest["env"],
        "FASTAPI_SERVICE_NAME": manifest["name"],
        "FASTAPI_SERVICE_TITLE": manifest["title"],
        "FASTAPI_SERVICE_VERSION": manifest["version"],
        "PORT": str(port),
        prefix + "JWKS_FILE": str(issuer.auth.jwks_file),
        prefix + "ISSUER": str(issuer.auth.issuer),
    }
    process = subprocess.Popen([os.environ["SERVICE"]], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/health/ready", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is not installed (apt-get install chromium); run through tools/bazel")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Trouble:
    """What a page got wrong while it loaded: failed requests and console errors."""

    failures: list[str] = field(default_factory=list)
    expected: set[int] = field(default_factory=set)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium echoes every 4xx answer as a console error: not one for a provoked status.
        echoes = (f"responded with a status of {status} " for status in self.expected)
        if not any(echo in message.text for echo in echoes):
            self.failures.append(f"console: {message.text}")

    def expect_status(self, status: int) -> None:
        """A status the test provokes on purpose, which is no trouble."""
        self.expected.add(status)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.failures.append(f"page error: {e}"))
        page.on(
            "requestfailed",
            lambda r: self.failures.append(f"request failed: {r.url} {r.failure}"),
        )
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.status not in self.expected
                and self.failures.append(f"HTTP {r.status}: {r.url}")
            ),
        )


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, Trouble]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    trouble = Trouble()
    trouble.watch(page)
    yield page, trouble
    context.close()


def logo_loaded(page: Page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


OPERATION = "#operations-notional-notional_v1_notional_post"


def execute(page: Page) -> int:
    """Clicks "Execute" on the operation; the status the service answered."""
    with page.expect_response(lambda r: r.url.endswith("/v1/notional")) as answer:
        page.click(f"{OPERATION} .execute")
    page.wait_for_selector(f"{OPERATION} .live-responses-table")
    return answer.value.status


def test_swagger_ui_is_branded_and_try_it_out_gets_200_once_authorized(
    service, manifest, page, issuer
):
    page, trouble = page
    page.goto(service + "/docs", wait_until="networkidle")
    page.wait_for_selector(".swagger-ui .info .title")
    assert page.title() == f"{BRAND} · {manifest['title']} API"
    assert BRAND in page.inner_text(".swagger-ui .info .title")
    assert logo_loaded(page, f'header.brand-bar img[alt="{BRAND}"]')
    page.screenshot(path=OUTPUTS / "docs.png")

    page.click(f"{OPERATION} .opblock-summary")
    page.click(f"{OPERATION} .try-out__btn")
    # Without a token: the service's 401 problem, as a page would show it.
    trouble.expect_status(401)
    assert execute(page) == 401

    # "Authorize" with a token granting the operation's scope, as a developer pastes one.
    page.click(".auth-wrapper .authorize")
    bearer = page.locator(".auth-container", has_text="bearer")
    bearer.locator("input").fill(issuer.token(f"{manifest['name']}:read"))
    bearer.locator("button.authorize").click()
    page.screenshot(path=OUTPUTS / "docs-authorize.png")
    page.click(".modal-ux .btn-done")
    assert execute(page) == 200
    status = page.inner_text(f"{OPERATION} .live-responses-table tbody .response-col_status")
    assert status.strip() == "200"
    page.screenshot(path=OUTPUTS / "docs-try-it-out.png", full_page=True)
    assert trouble.failures == []


def test_redoc_is_branded(service, manifest, page):
    page, trouble = page
    page.goto(service + "/redoc", wait_until="networkidle")
    page.wait_for_selector(f'img[alt="{BRAND}"]')
    assert logo_loaded(page, f'img[alt="{BRAND}"]')
    assert f"{BRAND} · {manifest['title']}" in page.inner_text("h1")
    page.screenshot(path=OUTPUTS / "redoc.png")
    assert trouble.failures == []
