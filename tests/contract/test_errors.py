"""Refusals that are the platform's rather than an endpoint's (docs/logging.md, Errors):
unknown paths and methods, bodies that are not JSON or too large, each an RFC 9457
problem."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from contract_support import (
    MAX_BODY_BYTES,
    PROBLEM,
    PROBLEM_TYPE,
    RawAnswer,
    Service,
    assert_problem,
    raw_post,
)
from httpx import Client

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("path", ["/nowhere", "/v1/symbols/AAPL", "/v1", "/v2/symbols"])
def test_an_unknown_path_is_a_404_problem(client: Client, path: str) -> None:
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/symbols", "GET"),
        ("POST", "/v1/symbols", "GET"),
        ("PUT", "/health/live", "GET"),
        pytest.param(
            "GET",
            "/v1/trades",
            "POST",
            marks=pytest.mark.uses("POST /v1/trades"),
            id="GET-/v1/trades",
        ),
        pytest.param(
            "PATCH",
            "/v1/symbols/AAPL/stats",
            "GET",
            marks=pytest.mark.uses("GET /v1/symbols/{symbol}/stats"),
            id="PATCH-/v1/symbols/AAPL/stats",
        ),
        pytest.param(
            "GET",
            "/v1/predictions",
            "POST",
            marks=pytest.mark.uses("POST /v1/predictions"),
            id="GET-/v1/predictions",
        ),
    ],
)
def test_another_method_is_a_405_problem_with_allow(
    client: Client, method: str, path: str, allow: str
) -> None:
    answer = client.request(method, path)
    assert_problem(answer, 405)
    assert answer.headers["allow"] == allow


def test_head_is_get_without_content(client: Client) -> None:
    # RFC 9110 9.3.2.
    get = client.get("/v1/symbols")
    head = client.head("/v1/symbols")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


@pytest.mark.uses("POST /v1/trades")
def test_head_where_there_is_no_get_is_a_405(client: Client) -> None:
    answer = client.head("/v1/trades")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.content == b""


@pytest.mark.parametrize(
    ("body", "position"),
    [
        (b'{"symbol": ', 11),
        (b"{not json", 1),
        (b'{"symbol": "AAPL"} trailing', 19),
        (b'{"symbol": "AAPL",}', 17),  # Python 3.13 names the comma
        (b"[1, 2", 5),
    ],
    ids=["unfinished", "unquoted-key", "trailing-text", "trailing-comma", "unclosed-array"],
)
def test_malformed_json_is_a_400_problem(client: Client, body: bytes, position: int) -> None:
    # Located at the character offset where the text stops being JSON.
    answer = client.post("/v1/trades", content=body, headers=JSON)
    assert_problem(
        answer,
        400,
        PROBLEM_TYPE + "malformed-json",
        title="Malformed JSON body",
        errors=[(["body", position], "json_invalid")],
    )


@pytest.mark.parametrize(
    ("path", "body", "position"),
    [
        ("/v1/predictions", b'{"returns": [NaN' + b", 0.0" * 19 + b"]}", 13),
        ("/v1/predictions", b'{"returns": [Infinity' + b", 0.0" * 19 + b"]}", 13),
        ("/v1/predictions", b'{"returns": [0.0' + b", 0.0" * 18 + b", -Infinity]}", 108),
        ("/v1/trades", b"NaN", 0),
        ("/v1/trades", b'{"symbol": "NaN", "size": NaN}', 26),
    ],
    ids=["NaN", "Infinity", "minus-Infinity", "bare-NaN", "after-NaN-in-a-string"],
)
def test_non_json_numbers_are_malformed_json(
    client: Client, path: str, body: bytes, position: int
) -> None:
    # RFC 8259 section 6: NaN and Infinity are not JSON numbers. Located where they start.
    answer = client.post(path, content=body, headers=JSON)
    assert_problem(
        answer,
        400,
        PROBLEM_TYPE + "malformed-json",
        title="Malformed JSON body",
        errors=[(["body", position], "json_invalid")],
    )


@pytest.mark.uses("POST /v1/trades")
def test_nan_in_a_string_is_data(client: Client) -> None:
    # Only the unquoted words are refused: here the symbol is the string "NaN" (unknown).
    answer = client.post("/v1/trades", content=b'{"symbol": "NaN"}', headers=JSON)
    assert answer.status_code == 422, answer.text


def _trade(trade_id: str, day: datetime) -> bytes:
    executed_at = (day + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "client_trade_id": trade_id,
            "symbol": "AAPL",
            "size": "1",
            "price": "100",
            "executed_at": executed_at,
        }
    ).encode()


@pytest.mark.uses("POST /v1/trades", "GET /v1/symbols/{symbol}/stats")
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_in_another_media_type_is_a_415_problem(
    client: Client, trade_id: str, day: datetime, content_type: str
) -> None:
    # RFC 9110 15.5.16: refused for its media type, whatever it holds.
    answer = client.post(
        "/v1/trades", content=_trade(trade_id, day), headers={"content-type": content_type}
    )
    problem = assert_problem(
        answer, 415, PROBLEM_TYPE + "unsupported-media-type", title="Unsupported media type"
    )
    assert "application/json" in problem["detail"], problem
    assert answer.headers["accept-post"] == "application/json"
    # Nothing recorded.
    window = {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    stats = client.get("/v1/symbols/AAPL/stats", params=window)
    assert stats.json()["trade_count"] == 0, stats.text


@pytest.mark.uses("POST /v1/predictions")
def test_a_prediction_in_another_media_type_is_a_415_problem(client: Client) -> None:
    body = b'{"returns": [' + b", ".join([b"0.001"] * 20) + b"]}"
    answer = client.post("/v1/predictions", content=body, headers={"content-type": "text/csv"})
    assert_problem(
        answer, 415, PROBLEM_TYPE + "unsupported-media-type", title="Unsupported media type"
    )


@pytest.mark.uses("POST /v1/trades")
@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.trade+json"],
)
def test_json_media_types_are_json(
    client: Client, trade_id: str, day: datetime, content_type: str
) -> None:
    answer = client.post(
        "/v1/trades", content=_trade(trade_id, day), headers={"content-type": content_type}
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("method", "status"),
    [("POST", 405), ("GET", 200)],
)
def test_a_route_without_a_body_does_not_parse_one(
    client: Client, method: str, status: int
) -> None:
    # GET /v1/symbols takes no body: the method decides (405), or a stray body is ignored.
    answer = client.request(method, "/v1/symbols", content=b"{not json", headers=JSON)
    assert answer.status_code == status, answer.text


def _too_large(answer: RawAnswer, path: str) -> None:
    assert answer.status == 413, answer.body
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["type"] == PROBLEM_TYPE + "body-too-large"
    assert problem["title"] == "Content Too Large"
    assert problem["status"] == 413
    assert problem["detail"]
    assert problem["instance"] == path
    assert problem["request_id"] == answer.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/v1/trades", "/v1/predictions", "/nowhere"])
def test_a_declared_body_over_the_limit_is_refused_unread(
    service: Service, client_address: str, authorization: dict[str, str], path: str
) -> None:
    # Refused on the Content-Length alone: no body is sent, and the answer comes anyway.
    head = {
        "Content-Type": "application/json",
        "Content-Length": str(MAX_BODY_BYTES + 1),
        "X-Forwarded-For": client_address,
        **authorization,
    }
    _too_large(raw_post(service.url, path, head, [], chunked=False), path)


def test_a_chunked_body_over_the_limit_is_refused(
    service: Service, client_address: str, authorization: dict[str, str]
) -> None:
    # No length declared: refused once more than the limit has arrived, before the end.
    head = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        "X-Forwarded-For": client_address,
        **authorization,
    }
    chunk = b" " * 65536
    chunks = [b"["] + [chunk] * (MAX_BODY_BYTES // len(chunk) + 1)
    answer = raw_post(service.url, "/v1/trades", head, chunks, chunked=True, timeout=5)
    _too_large(answer, "/v1/trades")


@pytest.mark.uses("POST /v1/trades/batch")
def test_a_body_at_the_limit_is_read(client: Client) -> None:
    # Exactly MAX_BODY_BYTES: read and validated (a 422: no trades), not refused.
    body = b'{"trades": [' + b" " * (MAX_BODY_BYTES - 14) + b"]}"
    assert len(body) == MAX_BODY_BYTES
    answer = client.post("/v1/trades/batch", content=body, headers=JSON)
    assert answer.status_code == 422, answer.text


def test_unknown_query_parameters_are_ignored(client: Client) -> None:
    assert client.get("/v1/symbols", params={"colour": "blue"}).status_code == 200


def test_a_trailing_slash_reaches_the_route(client: Client) -> None:
    # analytics redirects (307) to the path without it, analytics-express serves it; either
    # way a client following redirects gets the listing.
    answer = client.get("/v1/symbols/", follow_redirects=True)
    assert answer.status_code == 200
    assert answer.json() == client.get("/v1/symbols").json()
