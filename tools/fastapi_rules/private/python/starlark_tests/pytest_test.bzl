"""Unit tests of pytest_test's argument check: the message it fails with.

pytest_test checks its arguments at loading time, where a fail() cannot be caught: the
message is checked through pytest_test_errors(), which it fails with.
"""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/python:pytest.bzl", "pytest_test_errors")
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

def _valid_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], pytest_test_errors("test", ["tests/test_app.py", "tests/conftest.py"]))
    return unittest.end(env)

_valid_test = unittest.make(_valid_test_impl)

def _empty_srcs_test_impl(ctx):
    env = unittest.begin(ctx)

    # An empty glob() is the usual way to get there.
    asserts.equals(
        env,
        ["pytest_test(name = \"test\"): srcs is empty; list the test files, e.g. srcs = glob([\"tests/**/*.py\"])"],
        pytest_test_errors("test", []),
    )
    return unittest.end(env)

_empty_srcs_test = unittest.make(_empty_srcs_test_impl)

def pytest_test_suite(name):
    """The tests of pytest_test's check, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "empty_srcs": _empty_srcs_test,
        "valid": _valid_test,
    })
