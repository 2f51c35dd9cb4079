"""Unit tests of services_launcher's checks and of the service macros' depends_on: every
message they fail with.

services_launcher checks its arguments at loading time, where a fail() cannot be caught:
the messages are checked through services_launcher_errors(), which it fails with.
"""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/service:launcher.bzl", "services_launcher_errors")
load("//tools/fastapi_rules/private/service:ports.bzl", "depends_on_errors", "port_registry")
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

_PORTS = port_registry(fastapi = {"pricing": 4100}, express = {"web": 4200}, source = "services/ports.bzl")
_NOT_RELATIVE = "services_launcher(name = \"up\"): package = \"{}\" must be a package path relative to the repository root, e.g. \"services/{{name}}\""

def _valid_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], services_launcher_errors("up", _PORTS, "services/{name}"))
    asserts.equals(env, [], services_launcher_errors("up", _PORTS, "{name}"))
    asserts.equals(env, [], services_launcher_errors("up", _PORTS, "apps/{name}/server"))
    return unittest.end(env)

_valid_test = unittest.make(_valid_test_impl)

def _not_a_registry_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["services_launcher(name = \"up\"): ports must be what port_registry() returns, not dict"],
        services_launcher_errors("up", {"pricing": 4100}, "services/{name}"),
    )
    return unittest.end(env)

_not_a_registry_test = unittest.make(_not_a_registry_test_impl)

def _package_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["services_launcher(name = \"up\"): package = \"services\" must say where each service's package is with {name}, e.g. \"services/{name}\""],
        services_launcher_errors("up", _PORTS, "services"),
    )
    for package in ["//services/{name}", "/work/services/{name}", "../services/{name}", "@other//services/{name}", "services:{name}"]:
        asserts.equals(env, [_NOT_RELATIVE.format(package)], services_launcher_errors("up", _PORTS, package))
    return unittest.end(env)

_package_test = unittest.make(_package_test_impl)

def _depends_on_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], depends_on_errors("web", [], _PORTS))
    asserts.equals(env, [], depends_on_errors("web", ["pricing"], _PORTS))
    asserts.equals(
        env,
        ["service \"web\": depends_on names \"risk\", which is not a service of services/ports.bzl; known: pricing, web"],
        depends_on_errors("web", ["pricing", "risk"], _PORTS),
    )
    asserts.equals(
        env,
        ["service \"web\": depends_on names the service itself; list the services it calls"],
        depends_on_errors("web", ["web"], _PORTS),
    )
    asserts.equals(
        env,
        ["service \"web\": depends_on must be a list of service names, not string"],
        depends_on_errors("web", "pricing", _PORTS),
    )
    return unittest.end(env)

_depends_on_test = unittest.make(_depends_on_test_impl)

def launcher_test_suite(name):
    """The tests of services_launcher's checks, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "depends_on": _depends_on_test,
        "not_a_registry": _not_a_registry_test,
        "package": _package_test,
        "valid": _valid_test,
    })
