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
# rate limits and authentication (its README); it has no API documentation. Delete a
# line when its feature lands: its cases then run as they do for analytics, and while the
# line stays, a case that passes anyway fails the run (strict).
MISSING: dict[str, set[str]] = {
    "analytics": set(),
    "analytics-express": {
        # No /docs, /redoc or /openapi.json.
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
        # The twin copies what servicekit did before these were fixed there (docs/logging.md,
        # docs/services.md): each is a change to make in the twin.
        # NaN and Infinity are read as numbers, as Python's json reads them: a bare NaN body
        # is a 422, NaN inside an object a 400 located at 0 (src/jsonPosition.js).
        "test_non_json_numbers_are_malformed_json": "reads NaN and Infinity as Python did",
        # A body in another media type reaches validation (a 422, model_attributes_type)
        # instead of the 415 problem.
        "test_a_body_in_another_media_type_is_a_415_problem": "a 422, not the 415",
        "test_a_prediction_in_another_media_type_is_a_415_problem": "a 422, not the 415",
        # A refused preflight is Starlette's text/plain 400 "Disallowed CORS origin",
        # where analytics answers the 403 cors-preflight-refused problem.
        "test_a_refused_preflight_is_no_cors_grant": "text/plain 400, Starlette's",
        "test_a_refused_preflight_is_a_403_problem": "text/plain 400, Starlette's",
        # A timestamp given as a number, or a string of digits, is read as Unix time
        # (pydantic's lax datetime, src/timestamp.js); servicekit.Timestamp refuses it
        # (timestamp_type).
        **{
            f"test_a_bad_field_is_a_422_locating_it[executed_at={value}]": "reads Unix time"
            for value in ("1294317000", "1294317000.5", "'1294317000'")
        },
        "test_a_bad_query_is_a_422_locating_it[unix-time]": "reads Unix time",
        # A JSON null body is reported as missing; analytics (pydantic) says the body is
        # not an object (model_attributes_type), as for [], "..." and 42.
        "test_a_body_that_is_not_an_object_is_a_422[null]": "null is missing",
    },
}
