"""Trains the volatility model on synthetic trades and exports it to ONNX (build time only).

Run by the :model genrule. Everything is generated here from a fixed seed and nothing is
downloaded, so the exported bytes are the same on every run; the :test suite trains again
and compares sha256 with the built artifact.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from skl2onnx import to_onnx
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from services.analytics.inference.features import HORIZON, WINDOW, features

MODEL_NAME = "realised-volatility-ridge"
MODEL_VERSION = 1
SEED = 20261128
TRADES = 40_000
# ONNX opsets the runtime in the lock supports; pinned so a converter upgrade does not
# silently change the graph.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def synthetic_returns(seed: int = SEED, n: int = TRADES) -> npt.NDArray[np.float64]:
    """Trade-to-trade log returns from a GARCH(1,1) process: volatility clusters, so the
    recent returns say something about the next ones."""
    rng = np.random.default_rng(seed)
    omega, alpha, beta = 2e-7, 0.08, 0.9
    shocks = rng.standard_normal(n)
    variance = omega / (1 - alpha - beta)
    returns = np.empty(n)
    for i in range(n):
        returns[i] = np.sqrt(variance) * shocks[i]
        variance = omega + alpha * returns[i] ** 2 + beta * variance
    return returns


def dataset(
    returns: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Windows of WINDOW returns and the realised volatility of the HORIZON after each."""
    windows = np.lib.stride_tricks.sliding_window_view(returns, WINDOW + HORIZON)
    past, future = windows[:, :WINDOW], windows[:, WINDOW:]
    target = np.sqrt(np.mean(future**2, axis=1))
    return features(past), target.astype(np.float32)


def train(seed: int = SEED) -> bytes:
    """The serialized ONNX model; deterministic for a given seed and locked packages."""
    x, y = dataset(synthetic_returns(seed))
    pipeline = Pipeline([("scale", StandardScaler()), ("ridge", Ridge(alpha=1.0))])
    pipeline.fit(x, y)
    model = to_onnx(pipeline, x[:1], target_opset=TARGET_OPSET)
    model.model_version = MODEL_VERSION
    model.doc_string = f"Next {HORIZON}-trade realised volatility from the last {WINDOW} returns"
    onnx.helper.set_model_props(model, {"name": MODEL_NAME, "seed": str(seed)})
    return model.SerializeToString()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    args.output.write_bytes(train())


if __name__ == "__main__":
    main()
