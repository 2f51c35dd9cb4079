"""The shared shape of lock macros: a command that rewrites a lock, and its drift test."""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")

def lock_targets(name, tool, inputs, deps = [], **kwargs):
    """`:<name>` runs `tool` to rewrite the lock; `:<name>_test` runs it with `--check`.

    Args:
      name: name of the lock command; the drift test is `<name>_test`.
      tool: the lock program (a .py file) taking `--<flag> PATH` arguments and `--check`.
      inputs: flag to file in this package, e.g. {"--output": "pylock.toml"}; paths are
        passed relative to the workspace, which is where `bazel run` writes.
      deps: libraries the tool imports.
      **kwargs: passed to both targets.
    """

    # Messages and generated files name the command that relocks, as users type it.
    # args are tokenized like a shell's: the quotes keep the command one argument.
    args = ["--relock-command", "'bazel run //{}:{}'".format(native.package_name(), name)]
    for flag, file in inputs.items():
        args += [flag, "{}/{}".format(native.package_name(), file)]
    py_binary(name = name, srcs = [tool], main = tool, args = args, deps = deps, **kwargs)
    py_test(
        name = name + "_test",
        size = "small",
        srcs = [tool],
        main = tool,
        args = ["--check"] + args,
        data = inputs.values(),
        deps = deps,
        **kwargs
    )
