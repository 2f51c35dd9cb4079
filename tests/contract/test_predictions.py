"""POST /v1/predictions, /v1/predictions/batch and GET /v1/models (docs/analytics.md, The
volatility model): the same model, the same answers, the same refusals."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from contract_support import validation_problem
from httpx import Client

PREDICTIONS = pytest.mark.uses("POST /v1/predictions")
BATCHES = pytest.mark.uses("POST /v1/predictions/batch")
MODEL = {"name": "realised-volatility-ridge", "version": "1"}
# docs/analytics.md's windows, and what the model predicts for them (float32 inside).
CALM = [0.0001, -0.0001] * 10
DOC_RETURNS = [0.0004, -0.0011, 0.0007, -0.0002, 0.0013] * 4
DOC_VOLATILITY = 0.0016348031349480152
CALM_VOLATILITY = 0.00113


@PREDICTIONS
def test_a_prediction(client: Client) -> None:
    answer = client.post("/v1/predictions", json={"returns": DOC_RETURNS})
    assert answer.status_code == 200, answer.text
    prediction = answer.json()
    assert set(prediction) == {"volatility", "model"}
    assert prediction["model"] == MODEL
    assert prediction["volatility"] == pytest.approx(DOC_VOLATILITY, rel=1e-6)


@BATCHES
@PREDICTIONS
def test_a_batch_of_predictions_in_order(client: Client) -> None:
    answer = client.post(
        "/v1/predictions/batch",
        json={"items": [{"returns": DOC_RETURNS}, {"returns": CALM}, {"returns": DOC_RETURNS}]},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"predictions"}
    volatilities = [p["volatility"] for p in body["predictions"]]
    assert volatilities[0] == pytest.approx(DOC_VOLATILITY, rel=1e-6)
    assert volatilities[1] == pytest.approx(CALM_VOLATILITY, rel=1e-2)
    # An answer does not depend on its batch mates (docs/analytics.md, Serving).
    single = client.post("/v1/predictions", json={"returns": DOC_RETURNS}).json()
    assert volatilities[0] == volatilities[2] == single["volatility"]
    assert all(p["model"] == MODEL for p in body["predictions"])


def _returns(*changes: tuple[int, Any]) -> list[Any]:
    returns: list[Any] = list(DOC_RETURNS)
    for index, value in changes:
        returns[index] = value
    return returns


BAD_PREDICTIONS: list[tuple[Any, list[tuple[list[Any], str]]]] = [
    ({"returns": DOC_RETURNS[:19]}, [(["body", "returns"], "too_short")]),
    ({"returns": [*DOC_RETURNS, 0.0]}, [(["body", "returns"], "too_long")]),
    ({"returns": _returns((3, 1.5))}, [(["body", "returns", 3], "less_than_equal")]),
    ({"returns": _returns((0, -1.01))}, [(["body", "returns", 0], "greater_than_equal")]),
    ({"returns": _returns((19, "x"))}, [(["body", "returns", 19], "float_parsing")]),
    ({"returns": _returns((5, None))}, [(["body", "returns", 5], "float_type")]),
    (
        {"returns": _returns((2, 2), (7, "x"))},
        [(["body", "returns", 2], "less_than_equal"), (["body", "returns", 7], "float_parsing")],
    ),
    ({"returns": "0.1"}, [(["body", "returns"], "list_type")]),
    ({}, [(["body", "returns"], "missing")]),
    ({"returns": DOC_RETURNS, "horizon": 5}, [(["body", "horizon"], "extra_forbidden")]),
    ([DOC_RETURNS], [(["body"], "model_attributes_type")]),
]


@PREDICTIONS
@pytest.mark.parametrize(
    ("body", "errors"),
    BAD_PREDICTIONS,
    ids=[
        "19",
        "21",
        "above-1",
        "below-1",
        "text",
        "null",
        "several",
        "not-a-list",
        "missing",
        "extra",
        "array",
    ],
)
def test_a_bad_window_is_a_422_locating_it(
    client: Client, body: Any, errors: list[tuple[list[Any], str]]
) -> None:
    validation_problem(client.post("/v1/predictions", json=body), errors)


@BATCHES
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"items": []}, [(["body", "items"], "too_short")]),
        ({"items": [{"returns": CALM}] * 257}, [(["body", "items"], "too_long")]),
        (
            {"items": [{"returns": CALM}, {"returns": CALM[:3]}]},
            [(["body", "items", 1, "returns"], "too_short")],
        ),
        (
            {"windows": [{"returns": CALM}]},
            [(["body", "items"], "missing"), (["body", "windows"], "extra_forbidden")],
        ),
    ],
    ids=["empty", "257", "short-item", "misnamed"],
)
def test_a_bad_batch_is_a_422_locating_it(
    client: Client, body: Any, errors: list[tuple[list[Any], str]]
) -> None:
    validation_problem(client.post("/v1/predictions/batch", json=body), errors)


@BATCHES
def test_the_largest_batch_is_predicted(client: Client) -> None:
    answer = client.post("/v1/predictions/batch", json={"items": [{"returns": CALM}] * 256})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["predictions"]) == 256


@pytest.mark.uses("GET /v1/models")
def test_the_model_served_is_the_one_built(client: Client) -> None:
    answer = client.get("/v1/models")
    assert answer.status_code == 200, answer.text
    built = hashlib.sha256(Path(os.environ["MODEL"]).read_bytes()).hexdigest()
    assert answer.json() == [
        {
            **MODEL,
            "sha256": built,
            "inputs": 20,
            "horizon": 10,
            "max_batch": 64,
            "batch_window_ms": 2.0,
        }
    ]
