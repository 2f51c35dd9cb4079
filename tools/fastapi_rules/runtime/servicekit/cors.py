"""CORS, with refused preflights answered as problems like every other error."""

from __future__ import annotations

from typing import Final

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from servicekit.errors import PROBLEM_TYPE, problem_response

REFUSED_PREFLIGHT_STATUS: Final = 403
_STARLETTE_REFUSAL: Final = "Disallowed CORS "


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORSMiddleware, except that a preflight it refuses (an origin, method,
    header or private-network access not allowed) is a 403 problem
    (``urn:fastapi-rules:problem:cors-preflight-refused``) instead of a text/plain 400,
    and grants nothing: it carries no ``Access-Control-*`` header.

    403 rather than Starlette's 400: the preflight is a well-formed request for a
    permission the service does not give. (A browser fails any preflight answered
    without a 2xx status, so either refuses the call; the status is for people reading
    logs and metrics.)
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await super().__call__(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # What Starlette takes for a preflight; anything else is left to it.
        if "origin" not in headers or "access-control-request-method" not in headers:
            await super().__call__(scope, receive, send)
            return
        response = self.preflight_response(request_headers=headers)
        if response.status_code >= 400:
            response = _refusal(response, headers, scope["path"])
        await response(scope, receive, send)


def _refusal(refused: Response, request_headers: Headers, path: str) -> Response:
    text = bytes(refused.body).decode()
    if text.startswith(_STARLETTE_REFUSAL):
        details = {
            "origin": f"the origin {request_headers['origin']} is not allowed",
            "method": f"the method {request_headers['access-control-request-method']} is "
            "not allowed",
            "headers": "a requested header is not allowed",
            "private-network": "private network access is not allowed",
        }
        refusals = text.removeprefix(_STARLETTE_REFUSAL).split(", ")
        reasons = [details.get(refusal, refusal) for refusal in refusals]
    else:
        reasons = [text]
    # Vary stays (caches must tell origins apart); no Access-Control-* grant does.
    headers = {
        name: value
        for name, value in refused.headers.items()
        if not name.startswith("access-control-") and name not in ("content-type", "content-length")
    }
    return problem_response(
        REFUSED_PREFLIGHT_STATUS,
        title="CORS preflight refused",
        detail=f"CORS preflight refused: {'; '.join(reasons)}.",
        problem_type=PROBLEM_TYPE + "cors-preflight-refused",
        instance=path,
        headers=headers,
    )
