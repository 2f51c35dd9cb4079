"""Module extensions of fastapi_rules, for use in MODULE.bazel."""

load("//tools/fastapi_rules/private/pypi:extension.bzl", _pypi = "pypi")

pypi = _pypi
