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
