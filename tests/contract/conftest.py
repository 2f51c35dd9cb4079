"""The service under test for the session, a client per case, and the expected failures
of expected_failures.py applied as strict xfails."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from contract_support import READ, WRITE, Credentials, Service, running_service
from expected_failures import FEATURES, KNOWN_DIFFERENCES, MISSING

MANIFEST = json.loads(Path(os.environ["MANIFEST"]).read_text())
SERVICE_NAME: str = MANIFEST["name"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "uses(*features): what the case needs beyond GET /v1/symbols and the platform"
    )


def _differences(item: pytest.Item) -> str | None:
    known = KNOWN_DIFFERENCES.get(SERVICE_NAME, {})
    function = getattr(item, "originalname", item.name)
    return known.get(item.name) or known.get(function)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for listing in (MISSING, KNOWN_DIFFERENCES):
        assert SERVICE_NAME in listing, (
            f"expected_failures.py has no entry for {SERVICE_NAME}: add one, empty if need be"
        )
    missing = MISSING[SERVICE_NAME]
    assert missing <= FEATURES, missing - FEATURES
    matched: set[str] = set()
    for item in items:
        used = [f for marker in item.iter_markers("uses") for f in marker.args]
        unknown = set(used) - FEATURES
        assert not unknown, f"{item.nodeid}: uses {unknown}, not in expected_failures.FEATURES"
        lacking = [feature for feature in used if feature in missing]
        difference = _differences(item)
        if difference is not None:
            matched.update({item.name, getattr(item, "originalname", item.name)})
        if lacking:
            item.add_marker(
                pytest.mark.xfail(
                    strict=True,
                    reason=f"{SERVICE_NAME} lacks {', '.join(lacking)} (not written yet)",
                )
            )
            continue
        if difference is not None:
            item.add_marker(
                pytest.mark.xfail(strict=True, reason=f"known difference: {difference}")
            )
    # A difference that names no case would never fail: its case was renamed or removed.
    if not config.option.keyword and not config.option.markexpr:
        stale = set(KNOWN_DIFFERENCES[SERVICE_NAME]) - matched
        assert not stale, f"expected_failures.KNOWN_DIFFERENCES names no case: {stale}"


@pytest.fixture(scope="session")
def credentials() -> Credentials:
    """The session's identity provider and calling services' keys (new each run)."""
    return Credentials.create(Path(os.environ["TEST_TMPDIR"]) / "identity")


@pytest.fixture(scope="session")
def service(credentials: Credentials) -> Iterator[Service]:
    outputs = Path(os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or os.environ["TEST_TMPDIR"])
    # Kept among the test's outputs (bazel-testlogs/.../test.outputs/service.log).
    log = outputs / "service.log"
    with running_service(
        os.environ["SERVICE"], os.environ["MANIFEST"], log, credentials
    ) as running:
        yield running


_addresses = itertools.count(1)


@pytest.fixture
def client_address() -> str:
    """The case's own client address: rate limits count per client and route."""
    n = next(_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


_callers = itertools.count(1)


@pytest.fixture
def caller() -> str:
    """The subject of the case's token: rate limits count an authenticated caller as
    itself, from whatever address (docs/security.md)."""
    return f"contract-case-{next(_callers)}"


@pytest.fixture
def authorization(credentials: Credentials, caller: str) -> dict[str, str]:
    """The case's bearer token, granting what the analytics API asks of any case: reading
    (analytics:read) and recording trades (analytics:write)."""
    return credentials.bearer(READ, WRITE, subject=caller)


@pytest.fixture
def client(
    service: Service, client_address: str, authorization: dict[str, str]
) -> Iterator[httpx.Client]:
    """The case's caller: its address, and its token (test_auth.py checks who may do
    what, and the answers without one)."""
    with httpx.Client(
        base_url=service.url,
        headers={"X-Forwarded-For": client_address, **authorization},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture
def anonymous(service: Service, client_address: str) -> Iterator[httpx.Client]:
    """The same address without credentials: probes, scrapes, browsers' preflights."""
    with httpx.Client(
        base_url=service.url, headers={"X-Forwarded-For": client_address}, timeout=30
    ) as client:
        yield client


_days = itertools.count()


@pytest.fixture
def day() -> datetime:
    """Midnight of a day no other case trades on: statistics over it are the case's own."""
    return datetime(2010, 1, 4, tzinfo=UTC) + timedelta(days=next(_days))


@pytest.fixture
def trade_id() -> str:
    """A client trade ID prefix no other case (or earlier session) uses."""
    return "ct-" + uuid.uuid4().hex[:12]
