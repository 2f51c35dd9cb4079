"""Unit tests of express_service's argument checks: every message it fails with.

express_service checks its arguments at loading time, where a fail() cannot be caught:
the messages are checked through express_service_errors(), which it fails with. Its port
is checked by service_port(framework = "express") (ports_test.bzl).
"""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/service:express.bzl", "express_service_errors")
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

_SRCS = ["package.json", "server.js", "src/app.js"]

def _errors(name = "web", srcs = _SRCS, main = "server.js", npm = "@web_npm", **kwargs):
    """express_service_errors() of a valid service with the given arguments changed."""
    return express_service_errors(name = name, srcs = srcs, main = main, npm = npm, **kwargs)

def _prefix(name = "web"):
    return "express_service(name = \"{}\"): ".format(name)

def _valid_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], _errors())
    asserts.equals(env, [], _errors(name = "analytics-express", main = "src/server.mjs", srcs = ["package.json", "src/server.mjs"]))
    asserts.equals(env, [], _errors(name = "risk_limits2", env = {"LOG_LEVEL": "info", "_X": ""}, database_env = "WEB_DATABASE_URL"))

    # srcs given by a select() are not checked against main.
    asserts.equals(env, [], _errors(srcs = select({"//conditions:default": ["package.json"]})))
    return unittest.end(env)

_valid_test = unittest.make(_valid_test_impl)

def _bad_name_test_impl(ctx):
    env = unittest.begin(ctx)
    for name in ["Web", "1web", "-web", "_web", "web service", "web.api", ""]:
        asserts.equals(
            env,
            [_prefix(name) + "a service name is lower case letters, digits, - and _, starting with a letter, e.g. \"web\" or \"analytics-express\""],
            _errors(name = name),
        )
    return unittest.end(env)

_bad_name_test = unittest.make(_bad_name_test_impl)

def _srcs_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        [_prefix() + "srcs is empty; list the service's JavaScript files and its package.json, e.g. srcs = glob([\"*.js\", \"src/**/*.js\"]) + [\"package.json\"]"],
        _errors(srcs = []),
    )
    asserts.equals(
        env,
        [_prefix() + "srcs has no package.json; add it: its \"type\" tells Node how to load the service's .js files, and the image carries it"],
        _errors(srcs = ["server.js"]),
    )
    return unittest.end(env)

_srcs_test = unittest.make(_srcs_test_impl)

def _bad_main_test_impl(ctx):
    env = unittest.begin(ctx)
    for main in ["", "server", "server.ts", "/app/server.js", "../server.js", "src/./server.js", "src//server.js", "//services/web:server.js"]:
        asserts.equals(
            env,
            [_prefix() + "main = \"{}\" is not a JavaScript file of this package; write it like main = \"server.js\"".format(main)],
            _errors(main = main),
        )
    asserts.equals(
        env,
        [_prefix() + "main = \"index.js\" is not in srcs; add it, or point main at the file that starts the server"],
        _errors(main = "index.js"),
    )
    return unittest.end(env)

_bad_main_test = unittest.make(_bad_main_test_impl)

def _bad_npm_test_impl(ctx):
    env = unittest.begin(ctx)
    for npm in ["web_npm", "@", "@web_npm//:node_modules", "//third_party/npm", "@web_npm:pkg"]:
        asserts.equals(
            env,
            [_prefix() + "npm = \"{}\" is not a repository; give the hub of the service's lock, e.g. npm = \"@web_npm\" for npm.lock(name = \"web_npm\", lock = \"//services/web:package-lock.json\") in MODULE.bazel".format(npm)],
            _errors(npm = npm),
        )
    return unittest.end(env)

_bad_npm_test = unittest.make(_bad_npm_test_impl)

def _bad_values_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [_prefix() + "version is empty; give one such as \"1.0.0\""], _errors(version = ""))
    for key in ["1ABC", "MY-VAR", "A B", ""]:
        asserts.equals(env, [_prefix() + "env key \"{}\" is not a valid variable name".format(key)], _errors(env = {key: "1"}))
    for name in ["1URL", "DATABASE-URL", ""]:
        asserts.equals(
            env,
            [_prefix() + "database_env = \"{}\" is not a variable name; write it like \"ANALYTICS_DATABASE__URL\"".format(name)],
            _errors(database_env = name),
        )
    for prefix in ["analytics_", "ANALYTICS", ""]:
        asserts.equals(
            env,
            [_prefix() + "env_prefix = \"{}\" is not the prefix of the service's settings variables; write it as they are declared, upper case letters, digits and _ ending in _, e.g. \"PRICING_\"".format(prefix)],
            _errors(env_prefix = prefix),
        )
    asserts.equals(env, [], _errors(env_prefix = "ANALYTICS_"))
    return unittest.end(env)

_bad_values_test = unittest.make(_bad_values_test_impl)

def _every_problem_test_impl(ctx):
    env = unittest.begin(ctx)

    # One load reports every problem, in the order of the arguments.
    asserts.equals(
        env,
        [
            _prefix("Web") + "a service name is lower case letters, digits, - and _, starting with a letter, e.g. \"web\" or \"analytics-express\"",
            _prefix("Web") + "main = \"index.js\" is not in srcs; add it, or point main at the file that starts the server",
            _prefix("Web") + "npm = \"web_npm\" is not a repository; give the hub of the service's lock, e.g. npm = \"@web_npm\" for npm.lock(name = \"web_npm\", lock = \"//services/web:package-lock.json\") in MODULE.bazel",
            _prefix("Web") + "version is empty; give one such as \"1.0.0\"",
        ],
        _errors(name = "Web", main = "index.js", npm = "web_npm", version = ""),
    )
    return unittest.end(env)

_every_problem_test = unittest.make(_every_problem_test_impl)

def express_test_suite(name):
    """The tests of express_service's checks, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "bad_main": _bad_main_test,
        "bad_name": _bad_name_test,
        "bad_npm": _bad_npm_test,
        "bad_values": _bad_values_test,
        "every_problem": _every_problem_test,
        "srcs": _srcs_test,
        "valid": _valid_test,
    })
