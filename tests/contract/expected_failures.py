"""What the contract suite expects to fail, and why: the only place where the two services
are treated differently. Every entry becomes a strict xfail (pyproject.toml sets
``xfail_strict``), so a case that starts passing fails the run until its entry is deleted
here: the list can only shrink, and never hides a case that works.

Cases name what they need with ``@pytest.mark.uses(FEATURE, ...)``; conftest.py marks a
case xfail for a service that lacks one of them. Known differences are listed by case
name, with the side that is wrong.
"""

from __future__ import annotations

# Every feature a case may name in @pytest.mark.uses(...): the endpoints of the analytics
# API beyond GET /v1/symbols, and what an Express service writes itself (middleware,
# authentication, the API documentation).
FEATURES = frozenset(
    {
        "POST /v1/trades",
        "POST /v1/trades/batch",
        "GET /v1/symbols/{symbol}/stats",
        "GET /v1/symbols/{symbol}/candles",
        "POST /v1/predictions",
        "POST /v1/predictions/batch",
        "GET /v1/models",
        "CORS",
        "rate limits",
        # docs/security.md: bearer tokens against the JWKS, API keys, scopes per route.
        "auth",
        # /docs, /redoc and /openapi.json.
        "API docs",
    }
)

# Features a service does not have yet. analytics-express serves the whole API, CORS,
# rate limits, authentication and the API documentation (its README). Add a line for a
# feature a service lacks: its cases then become strict xfails for that service, and a
# case that passes anyway fails the run until the line is deleted.
MISSING: dict[str, set[str]] = {
    "analytics": set(),
    "analytics-express": set(),
}

# Differences the suite found, by service and case: the case states what is right, and
# fails on the side that is wrong. A key is a test function's name (all its parameters)
# or its full name with the parameter ID in brackets. Each is a bug to fix on that side,
# not a licence: delete the line with the fix.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    "analytics": {},
    "analytics-express": {},
}
