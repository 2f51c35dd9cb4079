"""The inference component: servicekit starts it (loads the model) and checks it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import numpy.typing as npt

from services.analytics.inference.batcher import MicroBatcher
from services.analytics.inference.features import features
from services.analytics.inference.metrics import observed
from services.analytics.inference.model import DEFAULT_MODEL_PATH, ModelInfo, OnnxModel


class ModelNotLoadedError(RuntimeError):
    """Raised by check() and predict() before start() or after stop()."""


class InferenceComponent:
    """A servicekit Component serving the volatility model with micro-batching."""

    name = "inference"

    def __init__(
        self,
        model_path: Path = DEFAULT_MODEL_PATH,
        *,
        window_s: float = 0.002,
        max_batch: int = 64,
        workers: int = 1,
    ) -> None:
        self.model_path = model_path
        self.window_s = window_s
        self.max_batch = max_batch
        self.workers = workers
        self.model: OnnxModel | None = None
        self._batcher: MicroBatcher | None = None

    async def start(self) -> None:
        # Loading parses and optimises the graph: done in a thread, once, before serving.
        model = await asyncio.to_thread(OnnxModel, self.model_path)
        batcher = MicroBatcher(
            observed(model.info.name, model.run),
            window_s=self.window_s,
            max_batch=self.max_batch,
            workers=self.workers,
        )
        batcher.start()
        self.model, self._batcher = model, batcher

    async def stop(self) -> None:
        batcher, self._batcher, self.model = self._batcher, None, None
        if batcher is not None:
            await batcher.stop()

    async def check(self) -> None:
        if self.model is None or self._batcher is None:
            raise ModelNotLoadedError("the model is not loaded")

    @property
    def info(self) -> ModelInfo:
        if self.model is None:
            raise ModelNotLoadedError("the model is not loaded")
        return self.model.info

    async def predict_many(self, rows: npt.ArrayLike) -> list[float]:
        """One volatility per row of returns; the rows stay together in one batch."""
        if self._batcher is None:
            raise ModelNotLoadedError("the model is not loaded")
        outputs = await self._batcher.submit(features(rows))
        return [float(value) for value in outputs]

    async def predict(self, returns: npt.ArrayLike) -> float:
        """The volatility for one window of returns."""
        (value,) = await self.predict_many(np.asarray(returns, dtype=np.float64)[None, :])
        return value
