"""fix: `bazel run` applies ruff's, eslint's and buildifier's fixes and formatting to the workspace."""

load(":common.bzl", "BUILDIFIER_ATTRS", "ESLINT_ATTRS", "RUFF_ATTRS", "eslint_runfiles")

def _fix_impl(ctx):
    eslint_config, eslint, eslint_files = eslint_runfiles(ctx)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{BUILDIFIER}}": ctx.executable._buildifier.short_path,
            "{{CONFIG}}": ctx.file._config.short_path,
            "{{ESLINT_CONFIG}}": eslint_config,
            "{{ESLINT}}": eslint,
            "{{LABEL}}": str(ctx.label),
            "{{RUFF}}": ctx.executable._ruff.short_path,
            "{{STARLARK_FILES}}": ctx.file._starlark_files.short_path,
        },
        is_executable = True,
    )
    files = [ctx.file._config, ctx.executable._ruff, ctx.executable._buildifier, ctx.file._starlark_files]
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = files).merge(eslint_files))]

fix = rule(
    implementation = _fix_impl,
    doc = "Applies ruff's safe fixes and formatting, eslint's fixes, and buildifier's, to every tracked file.",
    executable = True,
    attrs = {
        "_config": attr.label(default = Label("//tools/fastapi_rules:pyproject"), allow_single_file = True),
        "_template": attr.label(default = Label(":fix.sh.tpl"), allow_single_file = True),
    } | BUILDIFIER_ATTRS | ESLINT_ATTRS | RUFF_ATTRS,
)
