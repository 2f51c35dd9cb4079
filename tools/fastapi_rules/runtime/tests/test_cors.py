"""CORS preflights: granted for the configured origins, refused as problems otherwise."""

import pytest
from servicekit.cors import ProblemCORSMiddleware
from servicekit.testing import app_client
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tools.fastapi_rules.runtime.tests.sample_app import Settings, build

PROBLEM = "application/problem+json"
ALLOWED = "https://desk.example"
PREFLIGHT = {"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}


async def test_a_preflight_from_an_allowed_origin_is_granted():
    async with app_client(build(Settings(cors_origins=[ALLOWED]))) as client:
        answer = await client.options("/orders", headers=PREFLIGHT)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED


async def test_a_refused_preflight_is_a_403_problem_granting_nothing():
    async with app_client(build(Settings(cors_origins=[ALLOWED]))) as client:
        answer = await client.options(
            "/orders", headers={**PREFLIGHT, "Origin": "https://evil.example"}
        )
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM
    assert not [name for name in answer.headers if name.startswith("access-control-")]
    assert "origin" in answer.headers["vary"].lower()
    problem = answer.json()
    assert problem == {
        "type": "urn:fastapi-rules:problem:cors-preflight-refused",
        "title": "CORS preflight refused",
        "status": 403,
        "detail": "CORS preflight refused: the origin https://evil.example is not allowed.",
        "instance": "/orders",
        "request_id": answer.headers["x-request-id"],
    }


async def test_other_options_requests_are_not_preflights():
    async with app_client(build(Settings(cors_origins=[ALLOWED]))) as client:
        answer = await client.options("/orders", headers={"Origin": "https://evil.example"})
    # Not a preflight (no Access-Control-Request-Method): routed, and OPTIONS is no method
    # of /orders.
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM


def _starlette(**options):
    async def hello(request):
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/", hello)])
    app.add_middleware(ProblemCORSMiddleware, allow_origins=[ALLOWED], **options)
    return app


@pytest.mark.parametrize(
    ("options", "headers", "detail"),
    [
        (
            {"allow_methods": ["GET"]},
            {"Access-Control-Request-Method": "DELETE"},
            "the method DELETE is not allowed",
        ),
        (
            {"allow_headers": ["x-request-id"]},
            {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-secret"},
            "a requested header is not allowed",
        ),
        (
            {"allow_methods": ["GET"]},
            {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
            "the origin https://evil.example is not allowed; the method PUT is not allowed",
        ),
    ],
    ids=["method", "headers", "origin-and-method"],
)
async def test_each_refusal_is_named(options, headers, detail):
    async with app_client(_starlette(**options)) as client:
        answer = await client.options("/", headers={"Origin": ALLOWED, **headers})
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"] == f"CORS preflight refused: {detail}."
    assert "access-control-allow-origin" not in answer.headers
