"""Lint as tests: ruff over Python, eslint over JavaScript, buildifier over Starlark, and a
command that fixes all three."""

load("//tools/fastapi_rules/private/lint:buildifier.bzl", _buildifier_test = "buildifier_test")
load("//tools/fastapi_rules/private/lint:eslint.bzl", _eslint_test = "eslint_test")
load("//tools/fastapi_rules/private/lint:fix.bzl", _fix = "fix")
load("//tools/fastapi_rules/private/lint:ruff.bzl", _ruff_test = "ruff_test")

buildifier_test = _buildifier_test
eslint_test = _eslint_test
fix = _fix
ruff_test = _ruff_test
