"""Unit tests of port_registry() and service_port(): what they return, and every message.

Both run at loading time, where a fail() cannot be caught: the messages are checked
through port_registry_errors() and service_port_errors(), which the two fail() with.
"""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load(
    "//tools/fastapi_rules/private/service:ports.bzl",
    "port_registry",
    "port_registry_errors",
    "service_port",
    "service_port_errors",
)
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

_SOURCE = "services/ports.bzl"

def _registry_test_impl(ctx):
    env = unittest.begin(ctx)
    registry = port_registry(
        fastapi = {"pricing": 4100, "risk_limits": 4101},
        express = {"web": 4200},
        source = _SOURCE,
    )
    asserts.equals(env, {"pricing": 4100, "risk_limits": 4101, "web": 4200}, registry.ports)
    asserts.equals(env, {"pricing": "fastapi", "risk_limits": "fastapi", "web": "express"}, registry.frameworks)
    asserts.equals(env, _SOURCE, registry.source)
    asserts.equals(env, 4101, service_port("risk_limits", registry))
    asserts.equals(env, 4200, service_port("web", registry, framework = "express"))

    # Both ends of both ranges are allowed.
    asserts.equals(env, [], port_registry_errors(fastapi = {"a": 4100, "b": 4199}, express = {"c": 4200, "d": 4299}))

    empty = port_registry()
    asserts.equals(env, {}, empty.ports)
    asserts.equals(env, "the port registry", empty.source)
    return unittest.end(env)

_registry_test = unittest.make(_registry_test_impl)

def _duplicate_port_test_impl(ctx):
    env = unittest.begin(ctx)

    # buildifier sorts dict literals, registries included: entries are checked in
    # alphabetical order, and the later name is the one told to move.
    asserts.equals(
        env,
        ["services/ports.bzl: \"pricing\" and \"risk\" both use port 4100; give \"risk\" the next free port, 4101"],
        port_registry_errors(fastapi = {"pricing": 4100, "risk": 4100}, source = _SOURCE),
    )

    # The suggestion is free of every entry, those listed after the duplicate too.
    asserts.equals(
        env,
        ["services/ports.bzl: \"pricing\" and \"risk\" both use port 4100; give \"risk\" the next free port, 4102"],
        port_registry_errors(fastapi = {"pricing": 4100, "risk": 4100, "settlement": 4101}, source = _SOURCE),
    )

    # Across frameworks, the second service gets a port of its own framework's range.
    asserts.equals(
        env,
        ["services/ports.bzl: \"template\" and \"web\" both use port 4100; give \"web\" the next free port, 4200"],
        port_registry_errors(fastapi = {"template": 4100}, express = {"web": 4100}, source = _SOURCE),
    )
    return unittest.end(env)

_duplicate_port_test = unittest.make(_duplicate_port_test_impl)

def _out_of_range_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["services/ports.bzl: fastapi service \"pricing\" has port 4200, outside 4100-4199; use the next free port, 4101"],
        port_registry_errors(fastapi = {"pricing": 4200, "template": 4100}, source = _SOURCE),
    )
    asserts.equals(
        env,
        ["services/ports.bzl: express service \"web\" has port 8080, outside 4200-4299; use the next free port, 4200"],
        port_registry_errors(express = {"web": 8080}, source = _SOURCE),
    )
    asserts.equals(
        env,
        ["services/ports.bzl: fastapi service \"pricing\" has port 4099, outside 4100-4199; use the next free port, 4100"],
        port_registry_errors(fastapi = {"pricing": 4099}, source = _SOURCE),
    )
    return unittest.end(env)

_out_of_range_test = unittest.make(_out_of_range_test_impl)

def _listed_twice_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["services/ports.bzl: \"pricing\" is listed twice; keep one entry"],
        port_registry_errors(fastapi = {"pricing": 4100}, express = {"pricing": 4200}, source = _SOURCE),
    )
    return unittest.end(env)

_listed_twice_test = unittest.make(_listed_twice_test_impl)

def _not_a_number_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["services/ports.bzl: the port of \"pricing\" must be a number, not \"4100\""],
        port_registry_errors(fastapi = {"pricing": "4100"}, source = _SOURCE),
    )
    asserts.equals(
        env,
        ["the port registry: the port of \"pricing\" must be a number, not None"],
        port_registry_errors(fastapi = {"pricing": None}),
    )
    return unittest.end(env)

_not_a_number_test = unittest.make(_not_a_number_test_impl)

def _every_problem_test_impl(ctx):
    env = unittest.begin(ctx)

    # One load reports every problem of the registry, in the order of its entries.
    asserts.equals(
        env,
        [
            "services/ports.bzl: the port of \"a\" must be a number, not \"x\"",
            "services/ports.bzl: \"b\" and \"c\" both use port 4100; give \"c\" the next free port, 4101",
            "services/ports.bzl: express service \"d\" has port 4199, outside 4200-4299; use the next free port, 4200",
        ],
        port_registry_errors(fastapi = {"a": "x", "b": 4100, "c": 4100}, express = {"d": 4199}, source = _SOURCE),
    )
    return unittest.end(env)

_every_problem_test = unittest.make(_every_problem_test_impl)

def _missing_service_test_impl(ctx):
    env = unittest.begin(ctx)
    registry = port_registry(fastapi = {"template": 4100}, express = {"web": 4200}, source = _SOURCE)

    # The message holds the line to paste, with the next free port of the framework.
    asserts.equals(
        env,
        ["service \"pricing\" has no port: add this line to the fastapi dict in services/ports.bzl:\n        \"pricing\": 4101,"],
        service_port_errors("pricing", registry),
    )
    asserts.equals(
        env,
        ["service \"shop\" has no port: add this line to the express dict in services/ports.bzl:\n        \"shop\": 4201,"],
        service_port_errors("shop", registry, framework = "express"),
    )
    return unittest.end(env)

_missing_service_test = unittest.make(_missing_service_test_impl)

def _wrong_framework_test_impl(ctx):
    env = unittest.begin(ctx)
    registry = port_registry(express = {"web": 4200}, source = _SOURCE)
    asserts.equals(
        env,
        ["service \"web\" is a fastapi service but its port 4200 is outside 4100-4199; move it to the fastapi dict of services/ports.bzl with a port in that range"],
        service_port_errors("web", registry),
    )
    return unittest.end(env)

_wrong_framework_test = unittest.make(_wrong_framework_test_impl)

def _not_a_registry_test_impl(ctx):
    env = unittest.begin(ctx)

    # What a repository might pass instead of its registry: the dict itself, or nothing.
    asserts.equals(
        env,
        ["service \"pricing\": ports must be what port_registry() returns, not dict; wrap the macro once in a .bzl of your repository that passes your registry"],
        service_port_errors("pricing", {"pricing": 4100}),
    )
    asserts.equals(
        env,
        ["service \"pricing\": ports must be what port_registry() returns, not NoneType; wrap the macro once in a .bzl of your repository that passes your registry"],
        service_port_errors("pricing", None),
    )
    asserts.equals(
        env,
        ["service \"pricing\": ports must be what port_registry() returns, not struct; wrap the macro once in a .bzl of your repository that passes your registry"],
        service_port_errors("pricing", struct(fastapi = {"pricing": 4100})),
    )
    return unittest.end(env)

_not_a_registry_test = unittest.make(_not_a_registry_test_impl)

def ports_test_suite(name):
    """The tests of ports.bzl, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "duplicate_port": _duplicate_port_test,
        "every_problem": _every_problem_test,
        "listed_twice": _listed_twice_test,
        "missing_service": _missing_service_test,
        "not_a_number": _not_a_number_test,
        "not_a_registry": _not_a_registry_test,
        "out_of_range": _out_of_range_test,
        "registry": _registry_test,
        "wrong_framework": _wrong_framework_test,
    })
