"""buildifier_test: Starlark formatting and lint over the whole workspace."""

load(":common.bzl", "BUILDIFIER_ATTRS", "fix_command_label")

def _buildifier_test_impl(ctx):
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{BUILDIFIER}}": ctx.executable._buildifier.short_path,
            "{{FIX}}": fix_command_label(),
            "{{LABEL}}": str(ctx.label),
            "{{STARLARK_FILES}}": ctx.file._starlark_files.short_path,
            "{{WORKSPACE}}": ctx.file.workspace.short_path,
        },
        is_executable = True,
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [ctx.file.workspace, ctx.executable._buildifier, ctx.file._starlark_files]),
    )]

_buildifier_test = rule(
    implementation = _buildifier_test_impl,
    test = True,
    attrs = {
        "workspace": attr.label(allow_single_file = True, mandatory = True),
        "_template": attr.label(default = Label(":buildifier_test.sh.tpl"), allow_single_file = True),
    } | BUILDIFIER_ATTRS,
)

def buildifier_test(name, workspace, tags = [], **kwargs):
    """Fails when a BUILD, .bzl or MODULE.bazel file of the workspace is not buildifier-clean.

    It reads the source tree itself rather than declared inputs (Starlark files cannot be
    globbed across packages), so it runs unsandboxed and is never cached.

    Args:
      name: name of the test.
      workspace: a file at the workspace root, such as `//:MODULE.bazel`.
      tags: extra tags; `no-sandbox`, `no-cache` and `external` are always added.
      **kwargs: passed to the test rule.
    """
    _buildifier_test(
        name = name,
        workspace = workspace,
        size = "small",
        tags = tags + ["no-sandbox", "no-cache", "external"],
        **kwargs
    )
