"""Analysis tests of node_binary, node_test, node_image_layer and eslint_test: every
message their implementations fail with, each on a target that triggers it; and the
message of the node_test macro's check."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/lint:eslint.bzl", "eslint_test")
load("//tools/fastapi_rules/private/node:binary.bzl", "node_binary")
load("//tools/fastapi_rules/private/node:layers.bzl", "node_image_layer")
load("//tools/fastapi_rules/private/node:test.bzl", "node_test", "node_test_errors")
load("//tools/fastapi_rules/private/testing:failure_test.bzl", "failure_test")

def _case(name, rule, message, **attrs):
    # The target cannot build, so it is manual: only its failure_test analyzes it.
    rule(name = name + "_subject", tags = ["manual"], **attrs)
    failure_test(
        name = name,
        size = "small",
        message = message,
        target_under_test = name + "_subject",
    )
    return name

def _node_test_errors_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], node_test_errors("test", ["tests/a.test.js"]))
    asserts.equals(
        env,
        ["node_test(name = \"test\"): srcs is empty; list the test files, e.g. srcs = glob([\"tests/**/*.test.js\"])"],
        node_test_errors("test", []),
    )
    return unittest.end(env)

_node_test_errors_test = unittest.make(_node_test_errors_test_impl)

def node_failures_test_suite(name):
    """Declares a failing target and its failure_test per message, and a test_suite `name`.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    package = native.package_name()
    _node_test_errors_test(name = name + "_node_test_errors", size = "small")
    tests = [
        name + "_node_test_errors",
        _case(
            name + "_bad_postgres_env",
            node_binary,
            "{label}: postgres_env = \"DATABASE-URL\" is not a variable name; write it like \"ANALYTICS_DATABASE__URL\"",
            entry_point = "server.js",
            postgres_env = "DATABASE-URL",
        ),
        _case(
            name + "_no_test_file",
            node_test,
            "{label}: no test file among srcs; node --test runs files named *.test.js (or .mjs, .cjs), e.g. srcs = glob([\"tests/**/*.test.js\"])",
            srcs = ["server.js"],
        ),
        _case(
            name + "_outside_package",
            node_image_layer,
            "{{label}}: tools/fastapi_rules/private/lint/eslint.config.default.mjs is outside the package {} of //{}:outside_binary; an image holds the program's package only (at /app), so copy the file into it".format(package, package),
            binary = ":outside_binary",
        ),
        _case(
            name + "_node_modules_in_srcs",
            node_image_layer,
            "{{label}}: {}/node_modules/left/index.js is in the package's node_modules, which the image takes from the lock; leave node_modules out of srcs and data (glob(..., exclude = [\"node_modules/**\"]))".format(package),
            binary = ":node_modules_binary",
        ),
        _case(
            name + "_eslint_empty",
            eslint_test,
            "eslint_test {label}: srcs matched no files; list the JavaScript files, e.g. srcs = glob([\"**/*.js\"], exclude = [\"node_modules/**\"])",
            srcs = [],
        ),
    ]
    native.test_suite(name = name, tests = tests)
