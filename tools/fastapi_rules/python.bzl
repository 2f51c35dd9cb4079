"""Python: locked wheels (python_lock), pytest tests, and a py_binary as image layers."""

load("//tools/fastapi_rules/private/oci:py_layers.bzl", _py_image_entrypoint = "py_image_entrypoint", _py_image_layer = "py_image_layer")
load("//tools/fastapi_rules/private/pypi:defs.bzl", _python_lock = "python_lock")
load("//tools/fastapi_rules/private/python:pytest.bzl", _pytest_test = "pytest_test")

py_image_entrypoint = _py_image_entrypoint
py_image_layer = _py_image_layer
pytest_test = _pytest_test
python_lock = _python_lock
