"""Public API of fastapi_rules.

Load everything from here; the files under private/ may change without notice.
"""

load("//tools/fastapi_rules/private:pytest.bzl", _pytest_test = "pytest_test")
load("//tools/fastapi_rules/private:ruff.bzl", _ruff_fix = "ruff_fix", _ruff_test = "ruff_test")

pytest_test = _pytest_test
ruff_fix = _ruff_fix
ruff_test = _ruff_test
