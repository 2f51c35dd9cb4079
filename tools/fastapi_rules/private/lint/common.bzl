"""Shared by the lint rules: how messages name the fix command."""

_FIX = Label("//tools/fastapi_rules:fix")

def fix_command_label():
    """The fix target as a user of this repository types it.

    Returns:
      `//tools/fastapi_rules:fix` where fastapi_rules is the main repository, else
      `@fastapi_rules//tools/fastapi_rules:fix` (its name as a bazel_dep).
    """
    if not _FIX.workspace_name:
        return "//{}:{}".format(_FIX.package, _FIX.name)
    return "@fastapi_rules//{}:{}".format(_FIX.package, _FIX.name)

# The tools the lint rules run, as private attributes shared by the rules that run them.
BUILDIFIER_ATTRS = {
    "_buildifier": attr.label(
        default = Label(":buildifier"),
        allow_single_file = True,
        executable = True,
        cfg = "exec",
    ),
    "_starlark_files": attr.label(default = Label(":starlark_files.sh"), allow_single_file = True),
}

RUFF_ATTRS = {
    "_ruff": attr.label(
        default = Label("@pypi//ruff:bin"),
        allow_single_file = True,
        executable = True,
        cfg = "exec",
    ),
}
