"""The lock command and drift test of an npm package.json."""

load("//tools/fastapi_rules/private:lock.bzl", "lock_targets")

_LOCK = Label("//tools/fastapi_rules/private/npm:lock.py")

def npm_lock(name, package_json = "package.json", lock = "package-lock.json", **kwargs):
    """`bazel run :<name>` writes `lock` from `package_json`; `:<name>_test` fails while they disagree.

    The command runs `npm install --package-lock-only --ignore-scripts` beside package.json
    (npm from the build environment, the registry from this machine's npm configuration)
    and keeps registry URLs out of the lock. The test fails while the lock's record of the
    project's dependencies differs from package.json, a package lacks its sha512 integrity
    hash, or a registry URL is recorded. The npm module extension fetches what the lock
    pins (`npm.lock(name = ..., lock = ...)` in MODULE.bazel).

    Args:
      name: name of the lock command; the drift test is `<name>_test`.
      package_json: the package.json, in this package.
      lock: its package-lock.json, beside it.
      **kwargs: passed to both targets.
    """
    lock_targets(
        name = name,
        tool = _LOCK,
        inputs = {"--output": lock, "--package-json": package_json},
        **kwargs
    )
