"""The lock command and the lock drift test of a requirements.in / pylock.toml pair."""

load("//tools/fastapi_rules/private:lock.bzl", "lock_targets")

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
    lock_targets(
        name = name,
        tool = _LOCK,
        inputs = {"--output": lock, "--requirements": requirements},
        deps = [_TOOLS],
        **kwargs
    )
