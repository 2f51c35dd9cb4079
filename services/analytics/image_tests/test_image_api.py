"""The analytics image against a PostgreSQL on the host, over real HTTP (issue 10).

The image built by //services/analytics:image is loaded into a private podman store and
run as production runs it (uid 65532, read-only root file system, tmpfs /tmp, no
capabilities, no privilege escalation) on the host network, in the production environment,
with ANALYTICS_DATABASE__URL naming a throwaway PostgreSQL on loopback and
ANALYTICS_AUTH__JWKS_URL an identity provider's key set served here. Every request
carries a bearer token of that provider; without one, a trade is a 401 problem. Trades
go in, statistics, candles and symbols come out and are checked against values computed
here; predictions come from the ONNX model in the image; the trades are then read back
from PostgreSQL itself, and the container must drain and exit 0 on SIGTERM.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import operator
import os
import random
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from podman import Podman, private_podman
from service_container import (
    drain_seconds_of,
    load_image,
    service_container,
    stop_with_sigterm,
    throwaway_database,
    wait_until_ready,
)
from servicekit.testing import TokenIssuer, free_port

MANIFEST = json.loads(Path(os.environ["MANIFEST"]).read_text())
REPO_TAG = MANIFEST["image"]["repo_tag"]
# "analytics", or "analytics-express" where the twin's image runs this file: the realm of
# its challenges and the name in its start-up refusal.
SERVICE = MANIFEST["name"]
READY_PATH = MANIFEST["health"]["ready"]
SECONDS_PER_YEAR = 365 * 24 * 3600
WINDOW = 20  # returns per prediction (services/analytics/inference/features.py)

T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
# MSFT: (seconds after T0, price, size), over three minutes, prices and sizes whose VWAP
# needs rounding to 8 decimals.
MSFT = [
    (0, "410.25", "100"),
    (17, "410.4", "250"),
    (48, "409.95", "75.5"),
    (75, "410.8", "300"),
    (101, "411.0333", "10.125"),
    (130, "410.1", "120"),
]
# Another symbol's trade, inside the same minutes: it must not count for MSFT.
AAPL = (20, "187.25", "50")


@dataclass(frozen=True)
class SentTrade:
    client_trade_id: str
    symbol: str
    executed_at: datetime
    price: Decimal
    size: Decimal

    def body(self) -> dict[str, Any]:
        return {
            "client_trade_id": self.client_trade_id,
            "symbol": self.symbol,
            "size": str(self.size),
            "price": str(self.price),
            "executed_at": self.executed_at.isoformat(),
        }


def trade(symbol: str, index: int, seconds: int, price: str, size: str) -> SentTrade:
    return SentTrade(
        f"image-{symbol}-{index}", symbol, T0 + timedelta(seconds=seconds), Decimal(price),
        Decimal(size),
    )  # fmt: skip


SINGLE = trade("MSFT", 0, *MSFT[0])
# Neither sent in time order nor numbered in it (the service stores a batch in client trade
# ID order): statistics must order trades by execution time, not by arrival.
ID_OF_TIME = [0, 4, 1, 5, 2, 3]
BATCH = [
    *(trade("MSFT", ID_OF_TIME[i], *MSFT[i]) for i in (5, 3, 1, 4, 2)),
    trade("AAPL", 0, *AAPL),
]
MSFT_TRADES = sorted(
    [SINGLE, *(t for t in BATCH if t.symbol == "MSFT")], key=lambda t: t.executed_at
)


@dataclass
class Service:
    podman: Podman
    container: str
    base_url: str
    http: httpx.Client
    database_url: str


@contextmanager
def served_jwks(document: bytes) -> Iterator[str]:
    """The identity provider's JWKS endpoint on loopback, which the container (on the
    host network) fetches; its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    return TokenIssuer.create(tmp_path_factory.mktemp("identity"), audience=MANIFEST["name"])


@pytest.fixture(scope="module")
def service(issuer: TokenIssuer) -> Iterator[Service]:
    image_id = Path(os.environ["IMAGE_ID"]).read_text().strip()
    jwks = issuer.identity.jwks_file.read_bytes()
    with (
        private_podman() as podman,
        throwaway_database() as database_url,
        served_jwks(jwks) as jwks_url,
    ):
        load_image(podman, Path(os.environ["TARBALL"]), REPO_TAG, image_id)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            "ANALYTICS_DATABASE__URL": database_url,
            "ANALYTICS_ENVIRONMENT": "production",
            "ANALYTICS_AUTH__JWKS_URL": jwks_url,
            "ANALYTICS_AUTH__ISSUER": str(issuer.auth.issuer),
        }
        with service_container(podman, REPO_TAG, port, env) as container:
            wait_until_ready(podman, container, base_url + READY_PATH)
            headers = issuer.headers("analytics:read", "analytics:write", subject="image-test")
            with httpx.Client(base_url=base_url, timeout=10, headers=headers) as http:
                yield Service(podman, container, base_url, http, database_url)


def test_a_trade_without_a_token_is_a_401_problem(service: Service) -> None:
    answer = httpx.post(service.base_url + "/v1/trades", json=SINGLE.body(), timeout=10)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith(f'Bearer realm="{SERVICE}"')


@pytest.fixture(scope="module")
def ingested(service: Service) -> Service:
    """The trades, one alone and the rest in a batch; both answers checked."""
    single = service.http.post("/v1/trades", json=SINGLE.body())
    assert single.status_code == 201, single.text
    stored = single.json()
    assert stored["client_trade_id"] == SINGLE.client_trade_id
    assert Decimal(stored["price"]) == SINGLE.price
    assert datetime.fromisoformat(stored["executed_at"]) == SINGLE.executed_at
    # Sending it again is safe: the same answer, stored once.
    again = service.http.post("/v1/trades", json=SINGLE.body())
    assert again.status_code == 201, again.text
    assert again.json() == stored

    batch = service.http.post("/v1/trades/batch", json={"trades": [t.body() for t in BATCH]})
    assert batch.status_code == 201, batch.text
    answered = batch.json()["trades"]
    assert [t["client_trade_id"] for t in answered] == [t.client_trade_id for t in BATCH]
    assert len({t["id"] for t in answered} | {stored["id"]}) == len(BATCH) + 1
    return service


def test_the_container_runs_as_production_does(service: Service) -> None:
    inspected = service.podman(
        "inspect", "--format",
        "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.NetworkMode}}",
        service.container,
    )  # fmt: skip
    assert inspected.split() == ["65532:65532", "true", "host"]


def test_statistics_match_the_trades_sent(ingested: Service) -> None:
    answer = ingested.http.get("/v1/symbols/MSFT/stats")
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    volume = sum(t.size for t in MSFT_TRADES)
    vwap = sum(t.price * t.size for t in MSFT_TRADES) / volume
    assert stats["trade_count"] == len(MSFT) == 6
    assert Decimal(stats["volume"]) == volume
    assert Decimal(stats["vwap"]) == vwap.quantize(Decimal("1e-8"), ROUND_HALF_UP)
    assert Decimal(stats["high"]) == max(t.price for t in MSFT_TRADES) == Decimal("411.0333")
    assert Decimal(stats["low"]) == min(t.price for t in MSFT_TRADES) == Decimal("409.95")
    prices = [float(t.price) for t in MSFT_TRADES]
    returns = [math.log(b / a) for a, b in itertools.pairwise(prices)]
    elapsed = (MSFT_TRADES[-1].executed_at - MSFT_TRADES[0].executed_at).total_seconds()
    volatility = statistics.stdev(returns) * math.sqrt(len(returns) * SECONDS_PER_YEAR / elapsed)
    assert stats["realised_volatility"] == pytest.approx(volatility, rel=1e-9)


def test_statistics_of_a_window(ingested: Service) -> None:
    start, end = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    answer = ingested.http.get(
        "/v1/symbols/MSFT/stats", params={"start": start.isoformat(), "end": end.isoformat()}
    )
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    inside = [t for t in MSFT_TRADES if start <= t.executed_at < end]
    volume = sum(t.size for t in inside)
    assert stats["trade_count"] == len(inside) == 2
    assert Decimal(stats["volume"]) == volume
    assert Decimal(stats["vwap"]) == (sum(t.price * t.size for t in inside) / volume).quantize(
        Decimal("1e-8"), ROUND_HALF_UP
    )


def test_one_minute_candles(ingested: Service) -> None:
    answer = ingested.http.get("/v1/symbols/MSFT/candles", params={"interval": "1m"})
    assert answer.status_code == 200, answer.text
    page = answer.json()
    buckets = {
        start: list(trades)
        for start, trades in itertools.groupby(
            MSFT_TRADES, key=lambda t: t.executed_at.replace(second=0)
        )
    }
    assert page["total"] == len(buckets) == 3
    for candle, (start, trades) in zip(page["items"], buckets.items(), strict=True):
        assert datetime.fromisoformat(candle["bucket_start"]) == start
        assert Decimal(candle["open"]) == trades[0].price
        assert Decimal(candle["close"]) == trades[-1].price
        assert Decimal(candle["high"]) == max(t.price for t in trades)
        assert Decimal(candle["low"]) == min(t.price for t in trades)
        assert Decimal(candle["volume"]) == sum(t.size for t in trades)
        assert candle["trade_count"] == len(trades)


def test_symbols_list_their_last_trade(ingested: Service) -> None:
    answer = ingested.http.get("/v1/symbols")
    assert answer.status_code == 200, answer.text
    page = answer.json()
    listed = {item["symbol"]: item for item in page["items"]}
    assert page["total"] == len(listed) == 6
    last = MSFT_TRADES[-1]
    assert Decimal(listed["MSFT"]["last_price"]) == last.price
    assert datetime.fromisoformat(listed["MSFT"]["last_trade_at"]) == last.executed_at
    assert Decimal(listed["AAPL"]["last_price"]) == Decimal(AAPL[1])
    assert listed["GOOGL"]["last_price"] is None


def test_the_trades_are_in_the_hosts_postgresql(ingested: Service) -> None:
    async def read() -> tuple[list[asyncpg.Record], list[int]]:
        connection = await asyncpg.connect(ingested.database_url)
        try:
            trades = await connection.fetch(
                "SELECT client_trade_id, symbol, executed_at, price, size FROM trades"
            )
            versions = await connection.fetch("SELECT version FROM schema_migrations")
            return trades, sorted(r["version"] for r in versions)
        finally:
            await connection.close()

    rows, versions = asyncio.run(read())
    assert versions == [1, 2]
    # Each trade once, the one sent twice included, exactly as sent.
    by_id = operator.attrgetter("client_trade_id")
    assert sorted((SentTrade(*row) for row in rows), key=by_id) == sorted(
        [SINGLE, *BATCH], key=by_id
    )


def returns_windows(count: int) -> list[list[float]]:
    rng = random.Random(10)
    return [[round(rng.gauss(0, 0.0005 * (1 + i)), 6) for _ in range(WINDOW)] for i in range(count)]


def test_predictions_one_and_in_a_batch(service: Service) -> None:
    windows = returns_windows(3)
    singles = []
    for returns in windows:
        answer = service.http.post("/v1/predictions", json={"returns": returns})
        assert answer.status_code == 200, answer.text
        singles.append(answer.json())
    batch = service.http.post(
        "/v1/predictions/batch", json={"items": [{"returns": r} for r in windows]}
    )
    assert batch.status_code == 200, batch.text
    predictions = batch.json()["predictions"]
    assert len(predictions) == len(windows)
    # A window's answer does not depend on the company it was computed in.
    assert predictions == singles
    volatilities = [p["volatility"] for p in singles]
    assert all(isinstance(v, float) and math.isfinite(v) for v in volatilities)
    assert len(set(volatilities)) == len(windows)
    [model] = service.http.get("/v1/models").json()
    assert all(p["model"] == {"name": model["name"], "version": model["version"]} for p in singles)


def test_a_prediction_needs_a_full_window(service: Service) -> None:
    answer = service.http.post("/v1/predictions", json={"returns": [0.001] * (WINDOW - 1)})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_models_names_the_artifacts_sha256(service: Service) -> None:
    answer = service.http.get("/v1/models")
    assert answer.status_code == 200, answer.text
    [model] = answer.json()
    artifact = Path(os.environ["MODEL"]).read_bytes()
    assert model["sha256"] == hashlib.sha256(artifact).hexdigest()
    assert model["inputs"] == WINDOW


def test_sigterm_drains_and_exits_0(service: Service) -> None:
    """Last: stops the container the module's other tests share."""
    drain = drain_seconds_of(service.podman, REPO_TAG)
    stop_with_sigterm(service.podman, service.container, service.base_url + READY_PATH, drain)
    state = service.podman(
        "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", service.container
    )
    assert state == "exited 0"


def test_in_production_without_a_jwks_the_image_refuses_to_start_in_one_line(
    service: Service,
) -> None:
    refused = service.podman.run(
        "run", "--rm", "--network", "host",
        "--env", f"PORT={free_port()}",
        "--env", f"ANALYTICS_DATABASE__URL={service.database_url}",
        "--env", "ANALYTICS_ENVIRONMENT=production",
        REPO_TAG,
        check=False,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.splitlines()[-1:] == [
        f"{SERVICE}: cannot start: ANALYTICS_AUTH__JWKS_URL (or ANALYTICS_AUTH__JWKS_FILE) is "
        "not set: in production bearer tokens are verified with the identity provider's keys; "
        "set it and ANALYTICS_AUTH__ISSUER (docs/security.md)"
    ]
