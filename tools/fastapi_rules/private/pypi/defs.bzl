"""The lock command and the lock drift test of a requirements.in / pylock.toml pair."""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")

_LOCK = Label("//tools/fastapi_rules/private/pypi:lock.py")
_TOOLS = Label("//tools/fastapi_rules/private/pypi:pypi_tools")

def python_lock(name, requirements, lock, **kwargs):
    """`bazel run :<name>` relocks; `:<name>_test` fails while the two files disagree.

    Args:
      name: name of the lock command; the drift test is `<name>_test`.
      requirements: the requirements.in file, in this package.
      lock: the pylock.toml file, in this package.
      **kwargs: passed to both targets (tags, visibility, ...).
    """
    package = native.package_name()
    paths = [
        "--requirements",
        "{}/{}".format(package, requirements),
        "--output",
        "{}/{}".format(package, lock),
    ]
    py_binary(
        name = name,
        srcs = [_LOCK],
        main = _LOCK,
        args = paths,
        deps = [_TOOLS],
        **kwargs
    )
    py_test(
        name = name + "_test",
        srcs = [_LOCK],
        main = _LOCK,
        args = ["--check"] + paths,
        size = "small",
        data = [requirements, lock],
        deps = [_TOOLS],
        **kwargs
    )
