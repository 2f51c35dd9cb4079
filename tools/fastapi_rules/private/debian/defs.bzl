"""The lock command and drift test of a Debian package list."""

load("//tools/fastapi_rules/private:lock.bzl", "lock_targets")

_LOCK = Label("//tools/fastapi_rules/private/debian:lock.py")

def debian_lock(name, packages, lock, **kwargs):
    """`bazel run :<name>` resolves `packages` into `lock`; `:<name>_test` fails while they disagree.

    Besides each package's version, pool path and sha256, the lock maps library sonames to
    the packages that ship them (those of locked packages, and the libraries manylinux
    wheels may assume), which `oci_image`'s library check uses to name a missing package.

    Args:
      name: name of the lock command; the drift test is `<name>_test`.
      packages: the package list (packages.txt), in this package.
      lock: the lock (packages.lock.json), in this package.
      **kwargs: passed to both targets.
    """
    lock_targets(
        name = name,
        tool = _LOCK,
        inputs = {"--output": lock, "--packages": packages},
        **kwargs
    )
