"""The lock command and drift test of a Debian package list."""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")

_LOCK = Label("//tools/fastapi_rules/private/debian:lock.py")

def debian_lock(name, packages, lock, **kwargs):
    """`bazel run :<name>` resolves `packages` into `lock`; `:<name>_test` fails while they disagree.

    Args:
      name: name of the lock command; the drift test is `<name>_test`.
      packages: the package list (packages.txt), in this package.
      lock: the lock (packages.lock.json), in this package.
      **kwargs: passed to both targets.
    """
    paths = [
        "--packages",
        "{}/{}".format(native.package_name(), packages),
        "--output",
        "{}/{}".format(native.package_name(), lock),
    ]
    py_binary(name = name, srcs = [_LOCK], main = _LOCK, args = paths, **kwargs)
    py_test(
        name = name + "_test",
        srcs = [_LOCK],
        main = _LOCK,
        args = ["--check"] + paths,
        data = [packages, lock],
        size = "small",
        **kwargs
    )
