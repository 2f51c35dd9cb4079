"""node_binary: a Node.js program with its files and node_modules, for `bazel run`."""

load("//tools/fastapi_rules/private/npm:node_modules.bzl", "NpmNodeModulesInfo")
load(":common.bzl", "NODE_FLAGS", "RUNNER_ATTRS", "launcher_preamble", "node_modules_runfiles", "runfiles_path", "shell_quote")

NodeBinaryInfo = provider(
    doc = "A Node.js program: what node_image_layer puts in an image.",
    fields = {
        "entry_point": "The file Node runs (File).",
        "files": "depset of the program's own files: entry point, sources and data.",
        "node_flags": "Node options the program runs with (list of strings).",
        "node_modules": "Its node_modules directory (File), or None.",
        "package": "The package the program belongs to; image paths are relative to it.",
    },
)

NODE_SOURCES = [".js", ".mjs", ".cjs", ".json"]

_FIND_NODE = """\
node=$(command -v node) || {
  echo "node is not installed: run Bazel through tools/bazel (its build environment has Debian's nodejs), or apt-get install nodejs" >&2
  exit 127
}
"""

def _variable_ok(name):
    return bool(name) and name.replace("_", "a").isalnum() and not name[0].isdigit()

def _node_binary_impl(ctx):
    if ctx.attr.postgres_env and not _variable_ok(ctx.attr.postgres_env):
        fail("{}: postgres_env = \"{}\" is not a variable name; write it like \"ANALYTICS_DATABASE__URL\"".format(ctx.label, ctx.attr.postgres_env))
    entry = ctx.file.entry_point
    flags = NODE_FLAGS + ctx.attr.node_options
    node_args = " ".join([shell_quote(flag) for flag in flags] + ['"$RUNFILES_DIR/{}"'.format(runfiles_path(ctx, entry))])
    runfiles = ctx.runfiles(files = [entry] + ctx.files.srcs + ctx.files.data)
    runfiles = runfiles.merge(node_modules_runfiles(ctx, ctx.attr.node_modules))
    for target in ctx.attr.data:
        runfiles = runfiles.merge(target[DefaultInfo].default_runfiles)
    if ctx.attr.postgres_env:
        runner = ctx.attr._runner[DefaultInfo]
        runfiles = runfiles.merge(runner.default_runfiles)
        command = 'exec "$RUNFILES_DIR/{runner}" --postgres-env {name} --postgres unset -- {args} "$@"'.format(
            runner = runfiles_path(ctx, runner.files_to_run.executable),
            name = ctx.attr.postgres_env,
            args = node_args,
        )
    else:
        command = _FIND_NODE + 'exec "$node" {} "$@"'.format(node_args)
    script = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(script, launcher_preamble("node_binary", str(ctx.label)) + command + "\n", is_executable = True)
    tree = ctx.attr.node_modules[NpmNodeModulesInfo].node_modules if ctx.attr.node_modules else None
    return [
        DefaultInfo(executable = script, runfiles = runfiles),
        RunEnvironmentInfo(environment = ctx.attr.env),
        NodeBinaryInfo(
            entry_point = entry,
            files = depset([entry] + ctx.files.srcs + ctx.files.data),
            node_flags = flags,
            node_modules = tree,
            package = ctx.label.package,
        ),
    ]

node_binary = rule(
    implementation = _node_binary_impl,
    doc = """A Node.js program: `bazel run` runs `entry_point` with the build environment's node.

The program runs from its runfiles, with `node_modules` at its package's directory, where
Node looks for the packages it imports, and with `--preserve-symlinks` (every runfile is
a link). With `postgres_env`, `bazel run` without that variable set starts a throwaway
PostgreSQL and passes the URL of a fresh database in it.""",
    executable = True,
    attrs = {
        "data": attr.label_list(allow_files = True, doc = "Files the program reads at run time."),
        "entry_point": attr.label(mandatory = True, allow_single_file = NODE_SOURCES, doc = "The file Node runs, e.g. `server.js`."),
        "env": attr.string_dict(doc = "Environment variables of `bazel run` (and of tests that run it)."),
        "node_modules": attr.label(providers = [NpmNodeModulesInfo], doc = "The packages it imports: an npm hub's `:node_modules`."),
        "node_options": attr.string_list(doc = "Further options of node, e.g. `--enable-source-maps`."),
        "postgres_env": attr.string(doc = "A variable that carries a PostgreSQL URL: under `bazel run`, when it is unset, a throwaway server's is given."),
        "srcs": attr.label_list(allow_files = NODE_SOURCES, doc = "The program's modules, and package.json (its `type` decides ES modules or CommonJS)."),
    } | RUNNER_ATTRS,
)
