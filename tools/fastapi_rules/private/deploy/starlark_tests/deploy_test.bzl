"""Unit tests of compose_deployment's argument checks: every message it fails with.

compose_deployment checks its arguments at loading time, where a fail() cannot be caught:
the messages are checked through compose_deployment_errors(), which it fails with.
"""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/deploy:deploy.bzl", "compose_deployment_errors")
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

_PREFIX = "compose_deployment(name = \"deployment\"): "

def _errors(
        manifests = [":manifests"],
        postgres_image = "localhost/postgres:17",
        prometheus_image = "localhost/prometheus:2.53",
        project = "shop",
        error_ratio = "0.05",
        latency_p99_seconds = "0.5",
        scrape_interval = "15s"):
    """compose_deployment_errors() of valid arguments with the given ones changed."""
    return compose_deployment_errors("deployment", manifests, postgres_image, prometheus_image, project, error_ratio, latency_p99_seconds, scrape_interval)

def _valid_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, [], _errors())
    asserts.equals(env, [], _errors(project = "fastapi-rules_2", error_ratio = "0.5", latency_p99_seconds = "2", scrape_interval = "1m"))
    asserts.equals(env, [], _errors(postgres_image = "registry.example:5000/db/postgres:17.6"))
    return unittest.end(env)

_valid_test = unittest.make(_valid_test_impl)

def _bad_values_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        [_PREFIX + "manifests is empty; give the services' :manifest targets, e.g. manifests = [\"//services/pricing:manifest\"]"],
        _errors(manifests = []),
    )
    for tag in ["localhost/postgres", "localhost:5000/postgres", "postgres 17:1", ""]:
        asserts.equals(
            env,
            [_PREFIX + "postgres_image = \"{}\" is not a repo tag; write it as its :load tags it, e.g. \"localhost/postgres:17\"".format(tag)],
            _errors(postgres_image = tag),
        )
    asserts.equals(
        env,
        [_PREFIX + "prometheus_image = \"prometheus\" is not a repo tag; write it as its :load tags it, e.g. \"localhost/postgres:17\""],
        _errors(prometheus_image = "prometheus"),
    )
    for project in ["Shop", "-shop", "shop.prod", ""]:
        asserts.equals(
            env,
            [_PREFIX + "project = \"{}\" is not a compose project name: lower case letters, digits, - and _, e.g. \"shop\"".format(project)],
            _errors(project = project),
        )
    for ratio in ["0", "1", "5%", ".05", "1e-2", ""]:
        asserts.equals(
            env,
            [_PREFIX + "error_ratio = \"{}\" is not a ratio between 0 and 1, e.g. \"0.05\"".format(ratio)],
            _errors(error_ratio = ratio),
        )
    for seconds in ["0", "500ms", "-1", ""]:
        asserts.equals(
            env,
            [_PREFIX + "latency_p99_seconds = \"{}\" is not a number of seconds above 0, e.g. \"0.5\"".format(seconds)],
            _errors(latency_p99_seconds = seconds),
        )
    for interval in ["15", "0s", "1h", "s", ""]:
        asserts.equals(
            env,
            [_PREFIX + "scrape_interval = \"{}\" is not a duration such as \"15s\" or \"1m\"".format(interval)],
            _errors(scrape_interval = interval),
        )
    return unittest.end(env)

_bad_values_test = unittest.make(_bad_values_test_impl)

def deploy_test_suite(name):
    """The tests of compose_deployment's checks, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "bad_values": _bad_values_test,
        "valid": _valid_test,
    })
