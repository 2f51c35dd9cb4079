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

# Features a service does not have yet. analytics-express serves GET /v1/symbols and the
# platform paths today (its README, "What is left of issue #11"); the rest is being
# written. Delete a line when its feature lands: its cases then run as they do for
# analytics, and while the line stays, a case that passes anyway fails the run (strict).
MISSING: dict[str, set[str]] = {
    "analytics": set(),
    "analytics-express": {
        "POST /v1/trades",
        "POST /v1/trades/batch",
        "GET /v1/symbols/{symbol}/stats",
        "GET /v1/symbols/{symbol}/candles",
        # onnxruntime-node and the twin's model, with micro-batching.
        "POST /v1/predictions",
        "POST /v1/predictions/batch",
        "GET /v1/models",
        # ANALYTICS_CORS_ORIGINS is not read yet.
        "CORS",
        # ANALYTICS_RATE_LIMIT__* is not read yet: no RateLimit-* headers, no 429.
        "rate limits",
        # ANALYTICS_AUTH__* is not read yet: every request is served, whoever sends it.
        "auth",
        # No /docs, /redoc or /openapi.json yet.
        "API docs",
    },
}

# Differences the suite found, by service and case: the case states what is right, and
# fails on the side that is wrong. A key is a test function's name (all its parameters)
# or its full name with the parameter ID in brackets. Each is a bug to fix on that side,
# not a licence: delete the line with the fix.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    "analytics": {},
    "analytics-express": {
        # RFC 8259 defines no charset parameter for application/json, and analytics sends
        # the bare media type; Express's res.json() appends "; charset=utf-8". (The
        # problem+json responses already avoid it, src/problems.js.)
        "test_json_content_type": "res.json() adds charset=utf-8",
        # express.json() runs for every request before routing, so a body that is not
        # JSON is a 400 even where the route takes no body: POST /v1/symbols answers 400
        # instead of 405, GET /v1/symbols with a stray body 400 instead of 200, and the
        # 400 carries no route template (no metrics). Parse bodies on the routes that take
        # them.
        "test_a_route_without_a_body_does_not_parse_one": "express.json() runs before routing",
        # The README promises the offset Python's parser reports; Python 3.13 reports a
        # trailing comma at the comma ('{"a": 1,}' at 7), src/jsonPosition.js after it (8).
        "test_malformed_json_is_a_400_problem[trailing-comma]": "offset after the comma",
        # A chunked body over ANALYTICS_MAX_BODY_BYTES: analytics answers 413 as soon as
        # the limit is passed; body-parser drains the whole request before its 413, so a
        # client may stream without end (the case waits 5 s for the answer).
        "test_a_chunked_body_over_the_limit_is_refused": "the 413 waits for the body's end",
        # prom-client writes bucket bounds as JavaScript numbers (le="1", "5", "10"),
        # prometheus_client as floats (le="1.0", "5.0", "10.0"): a selector on le, or a
        # sum by (le) across both services, sees different series (Prometheus 3
        # normalises them at ingestion, 2.x does not).
        "test_latency_buckets": 'le="1" where analytics writes le="1.0"',
        # NaN and Infinity are refused (400) but located at 0, not at the character where
        # they start as every other syntax error is (src/jsonPosition.js): only the body
        # that starts with NaN passes.
        **{
            f"test_non_json_numbers_are_malformed_json[{case}]": "NaN located at 0"
            for case in ("NaN", "Infinity", "minus-Infinity", "after-NaN-in-a-string")
        },
    },
}
