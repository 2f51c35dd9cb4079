"""ruff_test: ruff's linter and formatter check over Python sources."""

load(":common.bzl", "RUFF_ATTRS", "fix_command_label")

def _ruff_test_impl(ctx):
    files = ctx.files.srcs
    if not files:
        fail("ruff_test {}: srcs matched no files; list the Python files, e.g. srcs = glob([\"**/*.py\"])".format(ctx.label))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{CONFIG}}": ctx.file.config.short_path,
            "{{FILES}}": " ".join(["'{}'".format(f.short_path) for f in files]),
            "{{FIX}}": fix_command_label(),
            "{{LABEL}}": str(ctx.label),
            "{{RUFF}}": ctx.executable._ruff.short_path,
        },
        is_executable = True,
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = files + [ctx.file.config, ctx.executable._ruff]),
    )]

_ruff_test = rule(
    implementation = _ruff_test_impl,
    doc = "Fails when `ruff check` or `ruff format --check` finds anything in `srcs`.",
    test = True,
    attrs = {
        "config": attr.label(
            default = Label("//tools/fastapi_rules:pyproject"),
            allow_single_file = [".toml"],
            doc = "The ruff configuration; default the `//tools/fastapi_rules:pyproject` flag's file.",
        ),
        "srcs": attr.label_list(
            allow_files = [".py", ".pyi"],
            mandatory = True,
            doc = "Python files to lint and format-check.",
        ),
        "_template": attr.label(default = Label(":ruff_test.sh.tpl"), allow_single_file = True),
    } | RUFF_ATTRS,
)

def ruff_test(name, srcs, size = "small", **kwargs):
    """Fails when `ruff check` or `ruff format --check` finds anything in `srcs`.

    Uses the repository's pyproject.toml; the failure message names the command that
    applies ruff's fixes.

    Args:
      name: name of the test.
      srcs: Python files to check.
      size: test size; linting is quick.
      **kwargs: passed to the test rule (config, tags, visibility, ...).
    """
    _ruff_test(name = name, srcs = srcs, size = size, **kwargs)
