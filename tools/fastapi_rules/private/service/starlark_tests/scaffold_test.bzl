"""Unit tests of new_service_command's path checks: every message it fails with.

new_service_command checks its paths at loading time, where a fail() cannot be caught:
the messages are checked through new_service_command_errors(), which it fails with.
"""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/service:scaffold.bzl", "new_service_command_errors")
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

_MESSAGE = "new_service_command(name = \"new_service\"): {} = \"{}\" must be a path relative to the repository root, e.g. \"services/ports.bzl\""

def _valid_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], new_service_command_errors("new_service", "services/ports.bzl", "services/template", "docs/ports.md"))

    # The ports document is optional.
    asserts.equals(env, [], new_service_command_errors("new_service", "services/ports.bzl", "services/template"))
    asserts.equals(env, [], new_service_command_errors("new_service", "ports.bzl", "template", ""))
    return unittest.end(env)

_valid_test = unittest.make(_valid_test_impl)

def _not_relative_test_impl(ctx):
    env = unittest.begin(ctx)
    for registry in ["/work/services/ports.bzl", "//services:ports.bzl", "../other/services/ports.bzl", "services/../../ports.bzl"]:
        asserts.equals(
            env,
            [_MESSAGE.format("registry", registry)],
            new_service_command_errors("new_service", registry, "services/template", "docs/ports.md"),
        )
    asserts.equals(
        env,
        [_MESSAGE.format("template", "//services/template")],
        new_service_command_errors("new_service", "services/ports.bzl", "//services/template"),
    )
    asserts.equals(
        env,
        [_MESSAGE.format("ports_doc", "../docs/ports.md")],
        new_service_command_errors("new_service", "services/ports.bzl", "services/template", "../docs/ports.md"),
    )

    # Every path to change is named at once.
    asserts.equals(
        env,
        [_MESSAGE.format("registry", "/ports.bzl"), _MESSAGE.format("ports_doc", "/ports.md")],
        new_service_command_errors("new_service", "/ports.bzl", "services/template", "/ports.md"),
    )
    return unittest.end(env)

_not_relative_test = unittest.make(_not_relative_test_impl)

def scaffold_test_suite(name):
    """The tests of new_service_command's checks, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "not_relative": _not_relative_test,
        "valid": _valid_test,
    })
