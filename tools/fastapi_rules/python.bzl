"""Python: locked wheels (python_lock), pytest tests, a py_binary as image layers, and a
virtual environment for editors (python_venv)."""

load("//tools/fastapi_rules/private/oci:py_layers.bzl", _py_image_entrypoint = "py_image_entrypoint", _py_image_layer = "py_image_layer")
load("//tools/fastapi_rules/private/pypi:defs.bzl", _python_lock = "python_lock")
load("//tools/fastapi_rules/private/python:pytest.bzl", _pytest_test = "pytest_test")
load("//tools/fastapi_rules/private/python:venv.bzl", _python_venv = "python_venv")

py_image_entrypoint = _py_image_entrypoint
py_image_layer = _py_image_layer
pytest_test = _pytest_test
python_lock = _python_lock
python_venv = _python_venv
