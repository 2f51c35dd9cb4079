"""Public API of fastapi_rules.

Load everything from here; the files under private/ may change without notice.
"""

load("//tools/fastapi_rules/private:buildifier.bzl", _buildifier_test = "buildifier_test")
load("//tools/fastapi_rules/private:pytest.bzl", _pytest_test = "pytest_test")
load("//tools/fastapi_rules/private:ruff.bzl", _ruff_test = "ruff_test")
load("//tools/fastapi_rules/private/debian:defs.bzl", _debian_lock = "debian_lock")
load("//tools/fastapi_rules/private/pypi:defs.bzl", _python_lock = "python_lock")

buildifier_test = _buildifier_test
debian_lock = _debian_lock
pytest_test = _pytest_test
python_lock = _python_lock
ruff_test = _ruff_test
