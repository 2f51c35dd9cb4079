"""Shared by the lint rules: how messages name the fix command, the tools they run."""

load("//tools/fastapi_rules/private:launcher_script.bzl", "runfiles_path")
load("//tools/fastapi_rules/private/npm:node_modules.bzl", "NpmNodeModulesInfo")

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

ESLINT_ATTRS = {
    "_eslint_config": attr.label(default = Label("//tools/fastapi_rules:eslint_config"), allow_single_file = [".js", ".mjs", ".cjs"]),
    "_eslint_node_modules": attr.label(default = Label("@npm//:node_modules_dev"), providers = [NpmNodeModulesInfo]),
}

def eslint_runfiles(ctx):
    """eslint and its configuration in a rule's runfiles (a rule with ESLINT_ATTRS).

    The tool lock's node_modules is placed beside the configuration file, where Node
    looks for the packages the configuration imports (node runs with
    --preserve-symlinks: the configuration's runfile is a link into the source tree).

    Args:
      ctx: the context of a rule with ESLINT_ATTRS.

    Returns:
      (configuration, eslint): their paths relative to the runfiles root; and the runfiles.
    """
    config = ctx.file._eslint_config
    config_path = runfiles_path(ctx, config)
    directory = config_path.rpartition("/")[0]
    tree = ctx.attr._eslint_node_modules[NpmNodeModulesInfo].node_modules
    runfiles = ctx.runfiles(files = [config, tree], root_symlinks = {directory + "/node_modules": tree})
    return config_path, directory + "/node_modules/eslint/bin/eslint.js", runfiles
