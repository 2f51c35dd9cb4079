"""eslint_test: eslint (flat configuration) over JavaScript sources."""

load(":common.bzl", "ESLINT_ATTRS", "eslint_runfiles", "fix_command_label")

_JS = [".js", ".mjs", ".cjs"]

def _eslint_test_impl(ctx):
    files = ctx.files.srcs
    if not files:
        fail("eslint_test {}: srcs matched no files; list the JavaScript files, e.g. srcs = glob([\"**/*.js\"], exclude = [\"node_modules/**\"])".format(ctx.label))
    config, eslint, runfiles = eslint_runfiles(ctx)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{CONFIG}}": config,
            "{{ESLINT}}": eslint,
            "{{FILES}}": " ".join(["'{}'".format(f.short_path) for f in files]),
            "{{FIX}}": fix_command_label(),
            "{{LABEL}}": str(ctx.label),
        },
        is_executable = True,
    )
    return [DefaultInfo(
        executable = script,
        runfiles = runfiles.merge(ctx.runfiles(files = files)),
    )]

_eslint_test = rule(
    implementation = _eslint_test_impl,
    doc = "Fails when eslint reports an error or a warning in `srcs`.",
    test = True,
    attrs = {
        "srcs": attr.label_list(allow_files = _JS, mandatory = True, doc = "JavaScript files to lint."),
        "_template": attr.label(default = Label(":eslint_test.sh.tpl"), allow_single_file = True),
    } | ESLINT_ATTRS,
)

def eslint_test(name, srcs, size = "small", **kwargs):
    """Fails when eslint reports an error or a warning in `srcs`.

    eslint and the packages its configuration imports come from the rules' npm tool lock;
    the configuration is the `//tools/fastapi_rules:eslint_config` flag's file (by default
    eslint's recommended rules for Node.js, ES modules). The failure message names the
    command that applies eslint's fixes.

    Args:
      name: name of the test.
      srcs: JavaScript files (.js, .mjs, .cjs) to lint.
      size: test size; linting is quick.
      **kwargs: passed to the test rule (tags, visibility, ...).
    """
    _eslint_test(name = name, srcs = srcs, size = size, **kwargs)
