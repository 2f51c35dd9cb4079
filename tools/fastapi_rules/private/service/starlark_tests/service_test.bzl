"""Unit tests of fastapi_service's argument checks: every message it fails with.

fastapi_service checks its arguments at loading time, where a fail() cannot be caught:
the messages are checked through fastapi_service_errors(), which it fails with. Its port
is checked by service_port() (ports_test.bzl).
"""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/service:service.bzl", "app_import_path", "default_env_prefix", "fastapi_service_errors")
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

def _errors(name = "pricing", srcs = ["main.py"], app = "main:app", **kwargs):
    """fastapi_service_errors() of a valid service with the given arguments changed."""
    return fastapi_service_errors(name = name, srcs = srcs, app = app, **kwargs)

def _valid_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], _errors())
    asserts.equals(env, [], _errors(name = "risk_limits2", srcs = ["api/v1.py", "main.py"], app = "api.v1:create_app"))
    asserts.equals(env, [], _errors(env = {"A1": "", "LOG_LEVEL": "info", "_PRIVATE": "x"}, version = "2.0.0"))
    return unittest.end(env)

_valid_test = unittest.make(_valid_test_impl)

def _bad_name_test_impl(ctx):
    env = unittest.begin(ctx)
    for name in ["Pricing", "1pricing", "risk-limits", "_pricing", "pricing service", ""]:
        asserts.equals(
            env,
            ["fastapi_service(name = \"{}\"): a service name is lower case letters, digits and _, starting with a letter, e.g. \"pricing\" or \"risk_limits\"".format(name)],
            _errors(name = name),
        )
    return unittest.end(env)

_bad_name_test = unittest.make(_bad_name_test_impl)

def _empty_srcs_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["fastapi_service(name = \"pricing\"): srcs is empty; list the service's Python files, e.g. srcs = [\"main.py\"]"],
        _errors(srcs = []),
    )
    return unittest.end(env)

_empty_srcs_test = unittest.make(_empty_srcs_test_impl)

def _bad_app_test_impl(ctx):
    env = unittest.begin(ctx)
    for app in ["main", "main:", ":app", "main:app()", "main:app.api", "1main:app", "main-v2:app", "main..v2:app"]:
        asserts.equals(
            env,
            ["fastapi_service(name = \"pricing\"): app = \"{}\" is not MODULE:ATTRIBUTE; write it like app = \"main:app\" (main.py in this package, variable app)".format(app)],
            _errors(app = app),
        )
    return unittest.end(env)

_bad_app_test = unittest.make(_bad_app_test_impl)

def _app_not_in_srcs_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["fastapi_service(name = \"pricing\"): app = \"server:app\" needs server.py in srcs; add it, or point app at the module that creates the FastAPI app"],
        _errors(srcs = ["main.py"], app = "server:app"),
    )

    # A dotted module is a file in a subdirectory of the package.
    asserts.equals(
        env,
        ["fastapi_service(name = \"pricing\"): app = \"api.main:app\" needs api/main.py in srcs; add it, or point app at the module that creates the FastAPI app"],
        _errors(srcs = ["main.py", "api/__init__.py"], app = "api.main:app"),
    )
    return unittest.end(env)

_app_not_in_srcs_test = unittest.make(_app_not_in_srcs_test_impl)

def _bad_database_env_test_impl(ctx):
    env = unittest.begin(ctx)
    for name in ["1URL", "DATABASE-URL", ""]:
        asserts.equals(
            env,
            ["fastapi_service(name = \"pricing\"): database_env = \"{}\" is not a variable name; write it like \"ANALYTICS_DATABASE__URL\"".format(name)],
            _errors(database_env = name),
        )
    asserts.equals(env, [], _errors(database_env = "PRICING_DATABASE__URL"))
    return unittest.end(env)

_bad_database_env_test = unittest.make(_bad_database_env_test_impl)

def _env_prefix_test_impl(ctx):
    env = unittest.begin(ctx)
    for prefix in ["pricing_", "PRICING", "_PRICING_", "1PRICING_", "PRICING-X_", ""]:
        asserts.equals(
            env,
            ["fastapi_service(name = \"pricing\"): env_prefix = \"{}\" is not the prefix of the service's settings variables; write it as they are declared, upper case letters, digits and _ ending in _, e.g. \"PRICING_\"".format(prefix)],
            _errors(env_prefix = prefix),
        )
    asserts.equals(env, [], _errors(env_prefix = "PRICING_V2_"))
    asserts.equals(env, "PRICING_", default_env_prefix("pricing"))
    asserts.equals(env, "ANALYTICS_EXPRESS_", default_env_prefix("analytics-express"))
    return unittest.end(env)

_env_prefix_test = unittest.make(_env_prefix_test_impl)

def _empty_version_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        ["fastapi_service(name = \"pricing\"): version is empty; give one such as \"1.0.0\""],
        _errors(version = ""),
    )
    return unittest.end(env)

_empty_version_test = unittest.make(_empty_version_test_impl)

def _bad_env_key_test_impl(ctx):
    env = unittest.begin(ctx)
    for key in ["1ABC", "MY-VAR", "A B", "A=B", ""]:
        asserts.equals(
            env,
            ["fastapi_service(name = \"pricing\"): env key \"{}\" is not a valid variable name".format(key)],
            _errors(env = {key: "1"}),
        )
    return unittest.end(env)

_bad_env_key_test = unittest.make(_bad_env_key_test_impl)

def _every_problem_test_impl(ctx):
    env = unittest.begin(ctx)

    # One load reports every problem, in the order of the arguments.
    asserts.equals(
        env,
        [
            "fastapi_service(name = \"Pricing\"): a service name is lower case letters, digits and _, starting with a letter, e.g. \"pricing\" or \"risk_limits\"",
            "fastapi_service(name = \"Pricing\"): version is empty; give one such as \"1.0.0\"",
            "fastapi_service(name = \"Pricing\"): env key \"MY-VAR\" is not a valid variable name",
            "fastapi_service(name = \"Pricing\"): app = \"server:app\" needs server.py in srcs; add it, or point app at the module that creates the FastAPI app",
        ],
        _errors(name = "Pricing", app = "server:app", version = "", env = {"MY-VAR": "1", "OK": "1"}),
    )
    return unittest.end(env)

_every_problem_test = unittest.make(_every_problem_test_impl)

def _app_import_path_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, "services.pricing.main:app", app_import_path("services/pricing", "main:app"))
    asserts.equals(env, "services.pricing.api.v1:create_app", app_import_path("services/pricing", "api.v1:create_app"))

    # A service at the repository root imports its module as it is.
    asserts.equals(env, "main:app", app_import_path("", "main:app"))
    return unittest.end(env)

_app_import_path_test = unittest.make(_app_import_path_test_impl)

def service_test_suite(name):
    """The tests of fastapi_service's checks, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "app_import_path": _app_import_path_test,
        "app_not_in_srcs": _app_not_in_srcs_test,
        "bad_app": _bad_app_test,
        "bad_database_env": _bad_database_env_test,
        "bad_env_key": _bad_env_key_test,
        "bad_name": _bad_name_test,
        "empty_srcs": _empty_srcs_test,
        "empty_version": _empty_version_test,
        "env_prefix": _env_prefix_test,
        "every_problem": _every_problem_test,
        "valid": _valid_test,
    })
