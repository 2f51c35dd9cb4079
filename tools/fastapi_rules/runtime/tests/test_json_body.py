"""JSON bodies as RFC 8259 has them: NaN and Infinity are malformed JSON (400), a body in
another media type is a 415; routes without a JSON body are left alone. (Form routes
are too; python-multipart is not among the locked packages, so none is tested here.)"""

import json
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Body, Request
from pydantic import BaseModel
from servicekit import create_app, public, requires
from servicekit.json_body import NonJsonNumber, _strictly, non_json_constant
from servicekit.testing import TokenIssuer, app_client

from tools.fastapi_rules.runtime.tests.sample_app import Settings

PROBLEM = "application/problem+json"
JSON = {"content-type": "application/json"}


class Reading(BaseModel):
    value: float  # pydantic's float takes NaN and Infinity: only the parser can refuse them
    note: str = ""


router = APIRouter(dependencies=[public()])


@router.post("/readings")
async def record(reading: Reading) -> dict[str, Any]:
    return {"value": str(reading.value), "note": reading.note}


@router.post("/anything")
async def anything(body: Annotated[Any, Body()]) -> dict[str, str]:
    return {"type": type(body).__name__}


@router.get("/readings")
async def readings() -> list[str]:
    return []


@router.post("/raw")
async def raw(
    data: Annotated[bytes, Body(media_type="application/octet-stream")],
) -> dict[str, int]:
    return {"length": len(data)}


@router.post(
    "/manual",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {}}}}},
)
async def manual(request: Request) -> dict[str, int]:
    # Declares a JSON body, and reads it itself.
    return {"length": len(await request.body())}


secured = APIRouter(dependencies=[requires("sample:write")])


@secured.post("/secured/readings")
async def secured_record(reading: Reading) -> dict[str, str]:
    return {"value": str(reading.value)}


@pytest.fixture
async def client():
    async with app_client(create_app(Settings(), name="json", routers=[router])) as client:
        yield client


def assert_malformed(answer, position: int) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["type"] == "urn:fastapi-rules:problem:malformed-json"
    (error,) = problem["errors"]
    assert error["location"] == ["body", position]
    assert error["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("body", "position"),
    [
        (b'{"value": NaN}', 10),
        (b'{"value": Infinity}', 10),
        (b'{"value": -Infinity}', 10),
        (b'{"note": "NaN and Infinity", "value": NaN}', 38),
        (b'{"note": "a \\" NaN", "value": Infinity}', 30),
        (b"NaN", 0),
        (b'{"value": 1, "more": [1, 2, -Infinity]}', 28),
    ],
    ids=[
        "nan",
        "infinity",
        "minus-infinity",
        "after-a-string",
        "after-an-escape",
        "bare",
        "nested",
    ],
)
async def test_nan_and_infinity_are_malformed_json(client, body, position):
    assert_malformed(await client.post("/readings", content=body, headers=JSON), position)


async def test_even_where_any_json_value_is_taken(client):
    assert_malformed(await client.post("/anything", content=b"[NaN]", headers=JSON), 1)


async def test_in_utf16_too(client):
    body = '{"value": NaN}'.encode("utf-16-le")
    assert_malformed(await client.post("/readings", content=body, headers=JSON), 10)


async def test_the_words_in_strings_are_data(client):
    body = {"value": 1.5, "note": "NaN, Infinity and -Infinity"}
    answer = await client.post("/readings", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"value": "1.5", "note": "NaN, Infinity and -Infinity"}


async def test_numbers_are_as_before(client):
    for value in (0, -1, 1e308, 2.5e-3):
        answer = await client.post("/readings", json={"value": value})
        assert answer.status_code == 200, answer.text


async def test_a_route_without_a_body_does_not_read_one(client):
    answer = await client.request("GET", "/readings", content=b"NaN", headers=JSON)
    assert answer.status_code == 200


async def test_another_media_type_is_a_415_problem(client):
    answer = await client.post(
        "/readings", content=b"value=1", headers={"content-type": "text/plain; charset=utf-8"}
    )
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["accept-post"] == "application/json"
    problem = answer.json()
    assert problem == {
        "type": "urn:fastapi-rules:problem:unsupported-media-type",
        "title": "Unsupported media type",
        "status": 415,
        "detail": "Send the body as application/json, not text/plain.",
        "instance": "/readings",
        "request_id": answer.headers["x-request-id"],
    }


async def test_a_body_without_a_media_type_is_left_to_fastapi(client):
    # FastAPI reads it as the route's strict_content_type says: not as JSON, by default.
    answer = await client.post("/readings", content=b'{"value": 1}')
    assert answer.status_code == 422, answer.text


async def test_the_openapi_document_declares_the_415(client):
    responses = (await client.get("/openapi.json")).json()["paths"]["/readings"]["post"]
    assert "application/problem+json" in responses["responses"]["415"]["content"]


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
)
async def test_json_media_types_are_json(client, content_type):
    answer = await client.post(
        "/readings", content=b'{"value": 1}', headers={"content-type": content_type}
    )
    assert answer.status_code == 200, answer.text


async def test_an_empty_body_is_left_to_validation(client):
    answer = await client.post("/readings", headers={"content-type": "text/plain"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["type"] == "missing"


async def test_routes_of_other_media_types_are_left_alone(client):
    raw = await client.post(
        "/raw", content=b"NaN\x00", headers={"content-type": "application/octet-stream"}
    )
    assert raw.json() == {"length": 4}


async def test_the_body_is_refused_before_the_routes_policy(tmp_path):
    # Like any malformed body: a 400 whoever sends it, before the 401.
    issuer = TokenIssuer.create(tmp_path, audience="json")
    app = create_app(Settings(auth=issuer.auth), name="json", routers=[secured])
    async with app_client(app) as client:
        anonymous = await client.post("/secured/readings", content=b'{"value": NaN}', headers=JSON)
        served = await client.post(
            "/secured/readings", json={"value": 2}, headers=issuer.headers("sample:write")
        )
    assert_malformed(anonymous, 10)
    assert served.status_code == 200


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('{"a": 1}', None),
        ('"NaN"', None),
        ('["\\\\", NaN]', 7),
        ('{"NaN": -Infinity}', 8),
        ('["\\"Infinity\\"", 1]', None),
    ],
)
def test_non_json_constant(text, position):
    assert non_json_constant(text) == position
    if position is None:
        json.loads(text, parse_constant=lambda name: pytest.fail(name))


async def test_a_body_read_by_the_handler_itself_is_refused_the_same(client):
    assert_malformed(await client.post("/manual", content=b"[1, NaN]", headers=JSON), 4)
    answer = await client.post("/manual", content=b"[1, 2]", headers=JSON)
    assert answer.json() == {"length": 6}


async def _read(chunks: list[bytes]) -> bytes:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0)

    strict = _strictly(receive)
    read = b""
    while True:
        message = await strict()
        read += message["body"]
        if not message["more_body"]:
            return read


async def test_a_word_split_between_chunks_is_found():
    with pytest.raises(NonJsonNumber) as refused:
        await _read([b'{"value": 1, "other": Na', b"N}"])
    assert refused.value.pos == 22
    with pytest.raises(NonJsonNumber):
        await _read([b"[1, -Infin", b"", b"ity]"])
    with pytest.raises(NonJsonNumber):
        await _read([b"[In", b"fi", b"n", b"ity]"])
    assert await _read([b'{"note": "Na', b'N"}']) == b'{"note": "NaN"}'


async def test_a_refusal_is_logged_under_its_route(capfd, client):
    capfd.readouterr()
    await client.post("/readings", content=b"1", headers={"content-type": "text/csv"})
    await client.post("/readings", content=b"[NaN]", headers=JSON)
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line[:1] == "{"]
    access = [(line["route"], line["status"]) for line in lines if line["event"] == "request"]
    assert access == [("/readings", 415), ("/readings", 400)]
