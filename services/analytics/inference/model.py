"""The exported model behind ONNX Runtime: loading, identity and one batched call."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

# Written next to this file by the :model genrule; the runfiles tree (and the image's
# app layer) keep generated files beside the sources of their package.
DEFAULT_MODEL_PATH = Path(__file__).with_name("model.onnx")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    sha256: str
    inputs: int


# Rows per session call. ONNX Runtime picks its kernels by batch size (a one-row product
# is a GEMV, more rows a GEMM), and their float32 sums differ in the last bits: a caller's
# answer would depend on who shared its micro-batch. Every call is padded to BLOCK rows so
# one kernel path computes every answer.
BLOCK = 64


class OnnxModel:
    """One ONNX Runtime session; `run` is thread-safe (ONNX Runtime's Run is)."""

    def __init__(self, path: Path = DEFAULT_MODEL_PATH) -> None:
        content = path.read_bytes()
        options = ort.SessionOptions()
        # Each call is a small batch: one intra-op thread keeps the executor's threads from
        # oversubscribing a service's few cores.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            content, sess_options=options, providers=["CPUExecutionProvider"]
        )
        meta = self._session.get_modelmeta()
        (model_input,) = self._session.get_inputs()
        self._input_name = model_input.name
        self.info = ModelInfo(
            name=meta.custom_metadata_map.get("name", path.stem),
            version=str(meta.version),
            sha256=hashlib.sha256(content).hexdigest(),
            inputs=int(model_input.shape[1]),
        )
        # Calls so far (tests and benchmarks read it); the executor may have several threads.
        self.calls = 0
        self._calls_lock = threading.Lock()

    def run(self, rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Predictions for a (batch, inputs) float32 array, one per row."""
        with self._calls_lock:
            self.calls += 1
        count = len(rows)
        padded = np.zeros((-(-count // BLOCK) * BLOCK, rows.shape[1]), dtype=np.float32)
        padded[:count] = rows
        outputs = [
            self._session.run(None, {self._input_name: padded[start : start + BLOCK]})[0]
            for start in range(0, len(padded), BLOCK)
        ]
        return np.concatenate(outputs).astype(np.float32).reshape(len(padded))[:count]
