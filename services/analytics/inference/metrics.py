"""Prometheus metrics of the model calls, served by servicekit's /metrics."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from prometheus_client import Histogram

Rows = npt.NDArray[np.float32]

# Defined once per process, as servicekit's own metrics: the default registry refuses a
# second definition.
BATCH_ROWS = Histogram(
    "inference_batch_rows",
    "Rows per model call: how much micro-batching stacks.",
    ["model"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
CALL_SECONDS = Histogram(
    "inference_model_call_seconds",
    "Time of one model call in the inference thread pool.",
    ["model"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)


def observed(model: str, run: Callable[[Rows], Rows]) -> Callable[[Rows], Rows]:
    """`run`, recording each call's rows and duration under the model's name."""
    rows_metric = BATCH_ROWS.labels(model)
    seconds_metric = CALL_SECONDS.labels(model)

    def run_observed(rows: Rows) -> Rows:
        started = time.perf_counter()
        try:
            return run(rows)
        finally:
            seconds_metric.observe(time.perf_counter() - started)
            rows_metric.observe(len(rows))

    return run_observed
