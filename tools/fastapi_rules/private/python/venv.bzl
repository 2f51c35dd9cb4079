"""python_venv: `bazel run` writes a virtual environment for editors and pytest."""

load("@rules_python//python:defs.bzl", "PyInfo")
load("//tools/fastapi_rules/private:launcher_script.bzl", "launcher_preamble", "runfiles_path", "shell_quote")

_TOOL = Label("//tools/fastapi_rules/private/python:venv_tool")

def _python_venv_impl(ctx):
    imports = depset(transitive = [dep[PyInfo].imports for dep in ctx.attr.deps]).to_list()

    # Import roots in this repository are put on sys.path where they are, in the source
    # tree; those of other repositories (each wheel's site-packages) are copied.
    own = ctx.workspace_name + "/"
    config = {
        "copy": sorted([root for root in imports if not root.startswith(own)]),
        "scripts": [runfiles_path(ctx, file) for file in ctx.files.scripts],

        # What `bazel test` gives a service's tests from its BUILD declaration (the service
        # name, title, version, description): pytest in the venv sets it for tests under
        # the service's package.
        "services": {
            service.label.package: service[RunEnvironmentInfo].environment
            for service in ctx.attr.services
            if RunEnvironmentInfo in service and not service.label.workspace_name
        },
        "source": sorted([root[len(own):] for root in imports if root.startswith(own)]),
    }
    config_file = ctx.actions.declare_file(ctx.label.name + ".venv.json")
    ctx.actions.write(config_file, json.encode_indent(config, indent = "  ") + "\n")
    tool = ctx.attr._tool[DefaultInfo]
    script = ctx.actions.declare_file(ctx.label.name)
    label = str(ctx.label) if ctx.label.workspace_name else "//{}:{}".format(ctx.label.package, ctx.label.name)
    command = 'exec "$RUNFILES_DIR/{}" --config "$RUNFILES_DIR/{}" --command {} "$@"\n'.format(
        runfiles_path(ctx, tool.files_to_run.executable),
        runfiles_path(ctx, config_file),
        shell_quote("bazel run " + label),
    )
    ctx.actions.write(script, launcher_preamble("python_venv", label, how = "bazel run") + command, is_executable = True)
    runfiles = ctx.runfiles(files = [config_file] + ctx.files.scripts).merge(tool.default_runfiles)
    for dep in ctx.attr.deps:
        runfiles = runfiles.merge(dep[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

python_venv = rule(
    implementation = _python_venv_impl,
    doc = """`bazel run` writes a virtual environment (`.venv/` at the workspace root, or
`-- --output DIR`) with the Python packages of `deps`, for editors and for pytest
outside Bazel.

Every third-party package of `deps` (a locked wheel, all of them with `@pypi//:all`) is
copied into its `site-packages`, console scripts included; the repository's own code stays
where it is: a `.pth` file puts the workspace root and each first-party import root
(`imports = ["."]`, servicekit's) on `sys.path`. `scripts` go to `bin/`. A pytest plugin
in the venv gives the tests of each of `services`' packages the environment that service's
BUILD declaration gives them under Bazel (its name, title, version), where the caller has
not set it. The interpreter is the build's Python;
in a repository with the build environment (`tools/buildenv/run`), `bin/python` runs it
directly where it runs on the machine and through the build environment elsewhere.""",
    executable = True,
    attrs = {
        "deps": attr.label_list(providers = [PyInfo], doc = "Python libraries to make importable: `@pypi//:all` and first-party py_library targets."),
        "scripts": attr.label_list(allow_files = True, doc = "Programs to put in `bin/`, the wheels' own scripts (`@pypi//:all_bin`: ruff's binary)."),
        "services": attr.label_list(cfg = "target", doc = "Service targets (`bazel run` programs) whose declared environment pytest in the venv gives the tests of their package; nothing of them is built."),
        "_tool": attr.label(default = _TOOL, executable = True, cfg = "target"),
    },
)
