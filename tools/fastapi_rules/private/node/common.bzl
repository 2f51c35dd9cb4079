"""Shared by the Node rules: node_modules placement, Node's flags, and (re-exported)
private/launcher_script.bzl's script helpers."""

load("//tools/fastapi_rules/private:launcher_script.bzl", _launcher_preamble = "launcher_preamble", _runfiles_path = "runfiles_path", _shell_quote = "shell_quote")
load("//tools/fastapi_rules/private/npm:node_modules.bzl", "NpmNodeModulesInfo")

# Node resolves a module's imports from where the module was found, not from where its
# symbolic link points: in a runfiles tree every file is a link (into the source tree or
# bazel-out), and without these the service's imports would be looked up beside the
# sources, where there is no node_modules.
NODE_FLAGS = ["--preserve-symlinks", "--preserve-symlinks-main"]

RUNNER = Label("//tools/fastapi_rules/private/node:runner")

RUNNER_ATTRS = {
    "_runner": attr.label(default = RUNNER, executable = True, cfg = "target"),
}

def package_dir(ctx):
    """The runfiles path of the rule's package directory.

    Args:
      ctx: the rule's context.

    Returns:
      e.g. "_main/services/web".
    """
    repo = ctx.label.workspace_name or ctx.workspace_name
    return repo + ("/" + ctx.label.package if ctx.label.package else "")

def node_modules_runfiles(ctx, node_modules):
    """Runfiles that put a node_modules directory where Node looks for the package's imports.

    Args:
      ctx: the rule's context.
      node_modules: a target with NpmNodeModulesInfo, or None.

    Returns:
      Runfiles with the directory at `<package>/node_modules`; empty for None.
    """
    if node_modules == None:
        return ctx.runfiles()
    tree = node_modules[NpmNodeModulesInfo].node_modules
    return ctx.runfiles(
        files = [tree],
        root_symlinks = {package_dir(ctx) + "/node_modules": tree},
    )

runfiles_path = _runfiles_path
shell_quote = _shell_quote
launcher_preamble = _launcher_preamble
