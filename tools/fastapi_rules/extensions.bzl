"""Module extensions of fastapi_rules, for use in MODULE.bazel."""

load("//tools/fastapi_rules/private/debian:extension.bzl", _debian = "debian")
load("//tools/fastapi_rules/private/npm:extension.bzl", _npm = "npm")
load("//tools/fastapi_rules/private/pypi:extension.bzl", _pypi = "pypi")

debian = _debian
npm = _npm
pypi = _pypi
