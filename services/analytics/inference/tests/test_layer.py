"""The training packages never reach an image: the layers of a binary using the library."""

import os
import re
import tarfile

import pytest

LAYERS = os.environ["LAYERS"].split()
TRAIN_LAYERS = os.environ["TRAIN_LAYERS"].split()
# The training packages and what only they bring, by import directory and by wheel
# repository (_main~pypi~pypi_scikit_learn in Bazel 7, + in Bazel 8).
TRAINING_PATTERNS = [
    r"/site-packages/(sklearn|skl2onnx|onnx|scipy|joblib)/",
    r"[~+]pypi_(scikit_learn|skl2onnx|onnx|scipy|joblib)/",
    r"_main/services/analytics/inference/train\.py$",
]


def _names(layers: list[str] = LAYERS) -> list[str]:
    names: list[str] = []
    for path in layers:
        with tarfile.open(path) as layer:
            names.extend(layer.getnames())
    return names


def test_two_layers_built() -> None:
    assert sorted(os.path.basename(p).split(".")[1] for p in LAYERS) == ["app", "third_party"]


def test_serving_stack_is_in_the_image() -> None:
    names = _names()
    for needed in (
        r".*[~+]pypi_onnxruntime/site-packages/onnxruntime/__init__\.py",
        r".*[~+]pypi_numpy/site-packages/numpy/__init__\.py",
        r".*_main/services/analytics/inference/model\.onnx",
        r".*_main/services/analytics/inference/component\.py",
    ):
        assert any(re.fullmatch(needed, name) for name in names), needed


@pytest.mark.parametrize("pattern", TRAINING_PATTERNS)
def test_no_training_package(pattern: str) -> None:
    leaked = [name for name in _names() if re.search(pattern, name)]
    assert not leaked, leaked[:10]


@pytest.mark.parametrize("pattern", TRAINING_PATTERNS)
def test_the_patterns_find_training_packages_in_the_training_tool(pattern: str) -> None:
    assert any(re.search(pattern, name) for name in _names(TRAIN_LAYERS))
