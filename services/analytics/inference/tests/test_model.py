"""The artifact: reproducible, identified, and answering with the right shapes."""

import hashlib
import os
from pathlib import Path

import numpy as np
import onnx

from services.analytics.inference import train
from services.analytics.inference.features import WINDOW, features
from services.analytics.inference.model import OnnxModel

ARTIFACT = Path(os.environ["MODEL"])


def test_build_artifact_is_reproduced_bit_for_bit_by_a_second_training() -> None:
    again = train.train()
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(ARTIFACT.read_bytes()).hexdigest()


def test_another_seed_gives_another_model() -> None:
    # The comparison above could not fail if training ignored its data.
    assert train.train(seed=1) != ARTIFACT.read_bytes()


def test_runtime_needs_only_onnx_ml_ops() -> None:
    model = onnx.load_model_from_string(ARTIFACT.read_bytes())
    assert {op.domain for op in model.opset_import} <= {"", "ai.onnx.ml"}
    assert model.model_version == train.MODEL_VERSION


def test_info_and_shapes() -> None:
    model = OnnxModel(ARTIFACT)
    assert model.info.name == train.MODEL_NAME
    assert model.info.version == str(train.MODEL_VERSION)
    assert model.info.sha256 == hashlib.sha256(ARTIFACT.read_bytes()).hexdigest()
    assert model.info.inputs == WINDOW
    rows = features(np.full((7, WINDOW), 0.001))
    out = model.run(rows)
    assert out.shape == (7,)
    assert out.dtype == np.float32


def test_model_learnt_that_volatility_clusters() -> None:
    model = OnnxModel(ARTIFACT)
    calm, busy = model.run(features(np.full((2, WINDOW), [[0.0002], [0.003]])))
    assert 0 < calm < busy
    # And it beats predicting the mean on held-out synthetic data.
    x, y = train.dataset(train.synthetic_returns(seed=7, n=5_000))
    predicted = model.run(x)
    assert np.mean((predicted - y) ** 2) < 0.9 * np.var(y)
