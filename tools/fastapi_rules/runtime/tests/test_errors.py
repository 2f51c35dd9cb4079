"""Bad input of every kind gets a problem+json answer with the right status, never a 500."""

import json

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_malformed_json_body_is_400(client):
    response = await client.post(
        "/orders", content=b'{"symbol": "EURUSD", ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert body["type"] == "urn:fastapi-rules:problem:malformed-json"


async def test_wrong_type_is_422_with_each_field_error(client):
    response = await client.post("/orders", json={"symbol": "", "quantity": "many"})
    body = assert_problem(response, 422)
    assert body["type"] == "urn:fastapi-rules:problem:validation"
    fields = {tuple(e["location"]): e["type"] for e in body["errors"]}
    assert fields == {("body", "symbol"): "string_too_short", ("body", "quantity"): "int_parsing"}


async def test_unknown_route_is_404(client):
    body = assert_problem(await client.get("/no/such/route"), 404)
    assert body["detail"] == "No resource at /no/such/route"
    assert body["instance"] == "/no/such/route"


async def test_method_not_allowed_is_405(client):
    body = assert_problem(await client.delete("/orders"), 405)
    assert "DELETE" in body["detail"]


async def test_http_exception_keeps_its_detail(client):
    body = assert_problem(await client.get("/orders/404"), 404)
    assert body["detail"] == "order 404 does not exist"


async def test_path_parameter_of_wrong_type_is_422(client):
    assert_problem(await client.get("/orders/abc"), 422)


@pytest.mark.parametrize("declared", [True, False])
async def test_oversized_body_is_413(capfd, client, declared):
    payload = b'{"symbol": "' + b"x" * 2_000_000 + b'"}'
    if declared:
        response = await client.post("/orders", content=payload)
    else:

        async def chunks():
            for start in range(0, len(payload), 65536):
                yield payload[start : start + 65536]

        response = await client.post("/orders", content=chunks())
    body = assert_problem(response, 413)
    assert body["type"] == "urn:fastapi-rules:problem:body-too-large"
    # Logged under its route, though a declared length is refused before routing.
    logged = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert [line["route"] for line in logged if line["event"] == "request"] == ["/orders"]


async def test_unhandled_exception_is_500_without_internals(capfd, client):
    response = await client.get("/boom")
    assert_problem(response, 500)
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    logged = capfd.readouterr().out
    assert "RuntimeError: secret internal detail" in logged  # the traceback is in the logs


async def test_openapi_declares_problem_responses(client):
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/orders"]["post"]["responses"]
    for status in ("400", "413", "415", "422", "429", "500"):
        assert PROBLEM in responses[status]["content"], status
    assert "Problem" in document["components"]["schemas"]
