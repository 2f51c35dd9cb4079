from tools.fastapi_rules.private.python.pytest_runner import pytest_args


def test_config_and_tests_are_passed_through():
    args = pytest_args(["pyproject.toml", "a/test_one.py", "b/test_two.py"], {})
    assert args[:2] == ["-c", "pyproject.toml"]
    assert args[-2:] == ["a/test_one.py", "b/test_two.py"]
    assert "no:cacheprovider" in args


def test_junit_report_goes_where_bazel_collects_it():
    args = pytest_args(["pyproject.toml"], {"XML_OUTPUT_FILE": "/out/test.xml"})
    assert args[args.index("--junitxml") + 1] == "/out/test.xml"


def test_bazel_test_filter_becomes_keyword_expression():
    args = pytest_args(["pyproject.toml"], {"TESTBRIDGE_TEST_ONLY": "health and not slow"})
    assert args[args.index("-k") + 1] == "health and not slow"
