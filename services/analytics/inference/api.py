"""HTTP API of the model: one prediction, a batch, and what model answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from servicekit import requires

from services.analytics.inference.component import InferenceComponent
from services.analytics.inference.features import HORIZON, WINDOW

EXAMPLE_RETURNS = [0.0004, -0.0011, 0.0007, -0.0002, 0.0013] * (WINDOW // 5)

# Non-finite numbers would reach the model as NaN: rejected as a 422 instead.
Return = Annotated[float, Field(allow_inf_nan=False, ge=-1.0, le=1.0)]


class PredictionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"returns": EXAMPLE_RETURNS}]}
    )

    returns: list[Return] = Field(
        min_length=WINDOW,
        max_length=WINDOW,
        description=f"The last {WINDOW} trade-to-trade log returns, oldest first.",
    )


class BatchPredictionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"items": [{"returns": EXAMPLE_RETURNS}] * 2}]},
    )

    items: list[PredictionRequest] = Field(min_length=1, max_length=256)


class ModelRef(BaseModel):
    name: str
    version: str


class Prediction(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "volatility": 0.00091,
                    "model": {"name": "realised-volatility-ridge", "version": "1"},
                }
            ]
        }
    )

    volatility: float = Field(
        description=f"Predicted realised volatility of the next {HORIZON} returns."
    )
    model: ModelRef


class BatchPrediction(BaseModel):
    predictions: list[Prediction]


class ModelDescription(BaseModel):
    name: str
    version: str
    sha256: str = Field(description="sha256 of the ONNX file being served.")
    inputs: int
    horizon: int
    max_batch: int
    batch_window_ms: float


async def _component(request: Request) -> InferenceComponent:
    # The service passes the component to create_app(components=[...]); the router finds
    # it there rather than in a global, so each app (and test) has its own. Async, though
    # it awaits nothing: FastAPI would run a plain function in its thread pool, a hop per
    # request (bench/analytics measured it).
    for component in request.app.state.components:
        if isinstance(component, InferenceComponent):
            return component
    raise HTTPException(503, detail="no inference component is configured")


ComponentDep = Annotated[InferenceComponent, Depends(_component)]

# Predictions read nothing a caller could change: the read scope (../api.py, security.md).
router = APIRouter(prefix="/v1", tags=["predictions"], dependencies=[requires("analytics:read")])


def _ref(component: InferenceComponent) -> ModelRef:
    info = component.info
    return ModelRef(name=info.name, version=info.version)


@router.post("/predictions", summary="Predict the next window's realised volatility")
async def predict(body: PredictionRequest, component: ComponentDep) -> Prediction:
    value = await component.predict(body.returns)
    return Prediction(volatility=value, model=_ref(component))


@router.post("/predictions/batch", summary="Predict for many windows in one request")
async def predict_batch(body: BatchPredictionRequest, component: ComponentDep) -> BatchPrediction:
    values = await component.predict_many([item.returns for item in body.items])
    ref = _ref(component)
    return BatchPrediction(predictions=[Prediction(volatility=v, model=ref) for v in values])


@router.get("/models", summary="The model being served")
async def models(component: ComponentDep) -> list[ModelDescription]:
    info = component.info
    return [
        ModelDescription(
            name=info.name,
            version=info.version,
            sha256=info.sha256,
            inputs=info.inputs,
            horizon=HORIZON,
            max_batch=component.max_batch,
            batch_window_ms=component.window_s * 1000,
        )
    ]
