"""HEAD is GET without the content (RFC 9110 section 9.3.2), on every GET route."""

import json

from fastapi import APIRouter, Response
from servicekit import create_app, public
from servicekit.testing import app_client

from tools.fastapi_rules.runtime.tests.sample_app import Settings

PROBLEM = "application/problem+json"

router = APIRouter(dependencies=[public()])


@router.get("/quotes/{symbol}")
async def quote(symbol: str) -> dict[str, str]:
    return {"symbol": symbol, "bid": "1.0841"}


@router.post("/orders", status_code=201)
async def place() -> dict[str, str]:
    return {"placed": "yes"}


@router.api_route("/own", methods=["GET", "HEAD"])
async def own(response: Response) -> dict[str, str]:
    # A route that answers HEAD itself keeps it.
    response.headers["X-Answered"] = "own"
    return {"own": "yes"}


def app(name: str = "head"):
    return create_app(Settings(log_json=True), name=name, routers=[router])


def access_lines(captured: str) -> list[dict]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "request"]


async def test_head_on_a_get_route_is_get_without_content():
    async with app_client(app()) as client:
        get = await client.get("/quotes/EURUSD")
        head = await client.head("/quotes/EURUSD")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["x-request-id"]


async def test_head_of_a_problem_has_its_headers_without_content():
    async with app_client(app()) as client:
        answer = await client.head("/nowhere")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.content == b""


async def test_head_on_a_route_without_get_is_still_a_405():
    async with app_client(app()) as client:
        answer = await client.head("/orders")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"


async def test_a_route_answering_head_itself_keeps_it():
    async with app_client(app()) as client:
        answer = await client.head("/own")
    assert answer.status_code == 200
    assert answer.headers["x-answered"] == "own"


async def test_platform_paths_answer_head():
    async with app_client(app()) as client:
        for path in ("/health/live", "/health/ready", "/metrics", "/openapi.json", "/docs"):
            answer = await client.head(path)
            assert answer.status_code == 200, path
            assert answer.content == b"", path


async def test_head_is_logged_and_counted_as_head_under_the_route(capfd):
    # A name of its own: the metrics registry is the process's.
    async with app_client(app("head-counted")) as client:
        capfd.readouterr()
        await client.head("/quotes/EURUSD", headers={"X-Request-ID": "head-1"})
        (line,) = access_lines(capfd.readouterr().out)
        metrics = (await client.get("/metrics")).text
    assert (line["method"], line["route"], line["status"]) == ("HEAD", "/quotes/{symbol}", 200)
    assert (
        'http_requests_total{app_name="head-counted",method="HEAD",path="/quotes/{symbol}",'
        'status_code="200"} 1.0'
    ) in metrics


async def test_the_openapi_document_has_no_head_operations():
    async with app_client(app()) as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/quotes/{symbol}"]) == {"get"}
