"""pytest_test: a py_test that runs pytest with pytest-asyncio over its sources."""

load("@rules_python//python:defs.bzl", "py_test")

_RUNNER = Label(":pytest_runner.py")
_CONFIG = Label("//tools/fastapi_rules:pyproject")
_PYTEST_DEPS = [
    Label("@pypi//pytest"),
    Label("@pypi//pytest_asyncio"),
]

def pytest_test_errors(name, srcs):
    """What is wrong with pytest_test's arguments: one message per problem.

    pytest_test() fails with these messages; they are computed apart from it, without
    fail(), so that tests can check them.

    Args:
      name: name of the test.
      srcs: test files.

    Returns:
      A list of messages, empty when the arguments are fine.
    """
    if not srcs:
        return ["pytest_test(name = \"{}\"): srcs is empty; list the test files, e.g. srcs = glob([\"tests/**/*.py\"])".format(name)]
    return []

def pytest_test(name, srcs, deps = [], data = [], args = [], size = "small", **kwargs):
    """Runs pytest over `srcs` with the repository's pyproject.toml settings.

    Every file in `srcs` is given to pytest, so conftest.py files and helper modules can
    sit beside the tests. Results go to Bazel's JUnit XML, and `--test_filter` works as
    pytest's `-k`.

    Args:
      name: name of the test.
      srcs: test files (test_*.py), conftest.py and helpers.
      deps: libraries the tests import; pytest and pytest-asyncio are added.
      data: files the tests read at run time.
      args: extra pytest arguments, after the test files.
      size: Bazel test size; unit tests are small, tests that start servers are not.
      **kwargs: passed to py_test (size, tags, env, timeout, ...).
    """
    errors = pytest_test_errors(name, srcs)
    if errors:
        fail("\n".join(errors))
    py_test(
        name = name,
        srcs = srcs + [_RUNNER],
        main = _RUNNER,
        args = ["$(rootpath {})".format(_CONFIG)] +
               ["$(rootpath {})".format(src) for src in srcs if src.endswith(".py") and src.rpartition("/")[2].startswith("test_")] +
               args,
        data = data + [_CONFIG],
        deps = deps + [dep for dep in _PYTEST_DEPS if dep not in deps],
        size = size,
        **kwargs
    )
