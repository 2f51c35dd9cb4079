"""node_test: Node's built-in test runner (`node --test`) as a Bazel test."""

load("//tools/fastapi_rules/private/npm:node_modules.bzl", "NpmNodeModulesInfo")
load(":binary.bzl", "NODE_SOURCES")
load(":common.bzl", "NODE_FLAGS", "RUNNER_ATTRS", "launcher_preamble", "node_modules_runfiles", "runfiles_path", "shell_quote")

# The files node --test runs, by its own default patterns; the others in srcs are helpers.
_TEST_SUFFIXES = (".test.js", ".test.mjs", ".test.cjs", "-test.js", "_test.js", "-test.mjs", "_test.mjs")

def _is_test_file(file):
    name = file.basename
    return name.endswith(_TEST_SUFFIXES) or (file.dirname.endswith("/test") and file.extension in ("js", "mjs", "cjs"))

def node_test_errors(name, srcs):
    """What is wrong with node_test's arguments: one message per problem.

    Args:
      name: name of the test.
      srcs: the test files, by name (strings) as the macro or BUILD file gives them.

    Returns:
      A list of messages, empty when the arguments are fine.
    """
    if not srcs:
        return ["node_test(name = \"{}\"): srcs is empty; list the test files, e.g. srcs = glob([\"tests/**/*.test.js\"])".format(name)]
    return []

def _node_test_impl(ctx):
    tests = [file for file in ctx.files.srcs if _is_test_file(file)]
    if not tests:
        fail("{}: no test file among srcs; node --test runs files named *.test.js (or .mjs, .cjs), e.g. srcs = glob([\"tests/**/*.test.js\"])".format(ctx.label))
    runner = ctx.attr._runner[DefaultInfo]
    flags = " ".join([shell_quote(flag) for flag in NODE_FLAGS + ctx.attr.node_options])
    files = " ".join(['"$RUNFILES_DIR/{}"'.format(runfiles_path(ctx, file)) for file in tests])
    postgres = "--postgres-env TEST_POSTGRES_URL --postgres always " if ctx.attr.postgres else ""
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, launcher_preamble("node_test", str(ctx.label)) + 'exec "$RUNFILES_DIR/{runner}" --test {postgres}-- {flags} {files}\n'.format(
        runner = runfiles_path(ctx, runner.files_to_run.executable),
        postgres = postgres,
        flags = flags,
        files = files,
    ), is_executable = True)
    runfiles = ctx.runfiles(files = ctx.files.srcs + ctx.files.data)
    runfiles = runfiles.merge(runner.default_runfiles)
    runfiles = runfiles.merge(node_modules_runfiles(ctx, ctx.attr.node_modules))
    for target in ctx.attr.data:
        runfiles = runfiles.merge(target[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = script, runfiles = runfiles),
        RunEnvironmentInfo(environment = ctx.attr.env),
    ]

_node_test = rule(
    implementation = _node_test_impl,
    doc = "Runs `node --test` over the test files of `srcs`; see the node_test macro.",
    test = True,
    attrs = {
        "data": attr.label_list(allow_files = True, doc = "Files and programs the tests use at run time (the service's own sources among them)."),
        "env": attr.string_dict(doc = "Environment variables of the tests."),
        "node_modules": attr.label(providers = [NpmNodeModulesInfo], doc = "The packages the tests and the code they test import: an npm hub's `:node_modules_dev`."),
        "node_options": attr.string_list(doc = "Further options of node."),
        "postgres": attr.bool(doc = "Start a throwaway PostgreSQL for the run; its URL is `TEST_POSTGRES_URL`."),
        "srcs": attr.label_list(allow_files = NODE_SOURCES, mandatory = True, doc = "Test files and the helpers they import."),
    } | RUNNER_ATTRS,
)

def node_test(name, srcs, data = [], env = {}, node_modules = None, node_options = [], postgres = False, size = "small", **kwargs):
    """Runs Node's test runner (`node --test`, `node:test` and `node:assert`) over `srcs`.

    Test files are those `node --test` would pick: `*.test.js` (`.mjs`, `.cjs`),
    `*-test.js`, `*_test.js` and files in a `test/` directory; other files of `srcs` are
    helpers they import. Each file runs in its own process. Results go to standard output
    (spec reporter) and to Bazel's JUnit XML; `--test_filter=REGEX` selects tests by name
    (`--test-name-pattern`). The tests run from their runfiles with `node_modules` at the
    package's directory, as node_binary's programs do.

    Args:
      name: name of the test.
      srcs: test files and the helpers they import.
      data: files and programs the tests use at run time, the code under test among them.
      env: environment variables of the tests.
      node_modules: the packages the tests and the code they test import: an npm hub's
        `:node_modules_dev`.
      node_options: further options of node.
      postgres: start a throwaway PostgreSQL for the run (Debian's server, as an
        unprivileged user); `TEST_POSTGRES_URL` is the URL of its `postgres` database,
        from which each test file creates the databases it needs.
      size: Bazel test size; tests that start servers are "medium".
      **kwargs: common test attributes (tags, timeout, visibility, ...).
    """
    errors = node_test_errors(name, srcs)
    if errors:
        fail("\n".join(errors))
    _node_test(
        name = name,
        srcs = srcs,
        data = data,
        env = env,
        node_modules = node_modules,
        node_options = node_options,
        postgres = postgres,
        size = size,
        **kwargs
    )
