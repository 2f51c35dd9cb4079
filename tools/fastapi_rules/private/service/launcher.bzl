"""services_launcher: `bazel run` one target to start every service of a port registry."""

load("//tools/fastapi_rules/private:launcher_script.bzl", "launcher_preamble", "runfiles_path")

_LAUNCHER = Label("//tools/fastapi_rules/private/launcher:launcher")

def _services_launcher_impl(ctx):
    if len(ctx.attr.services) != len(ctx.files.manifests):
        fail("{}: services and manifests must pair up, one manifest per service".format(ctx.label))
    launcher = ctx.attr._launcher[DefaultInfo]
    runfiles = ctx.runfiles(files = ctx.files.manifests).merge(launcher.default_runfiles)
    entries = []
    for service, manifest in zip(ctx.attr.services, ctx.files.manifests):
        program = service[DefaultInfo].files_to_run.executable

        # What `bazel run` of the service adds to its environment: its BUILD declaration's
        # env (FASTAPI_SERVICE_NAME, EXPRESS_SERVICE_PORT, ...). A program run from another
        # target's runfiles does not get it by itself.
        env = service[RunEnvironmentInfo].environment if RunEnvironmentInfo in service else {}
        entries.append({
            "env": env,
            "executable": runfiles_path(ctx, program),
            "label": str(service.label),
            "manifest": runfiles_path(ctx, manifest),
        })
        runfiles = runfiles.merge(service[DefaultInfo].default_runfiles)
    config = ctx.actions.declare_file(ctx.label.name + ".services.json")
    ctx.actions.write(config, json.encode_indent({"services": entries}, indent = "  ") + "\n")
    script = ctx.actions.declare_file(ctx.label.name)
    command = 'exec "$RUNFILES_DIR/{}" --config "$RUNFILES_DIR/{}" "$@"\n'.format(
        runfiles_path(ctx, launcher.files_to_run.executable),
        runfiles_path(ctx, config),
    )
    ctx.actions.write(script, launcher_preamble("services_launcher", str(ctx.label), how = "bazel run") + command, is_executable = True)
    return [DefaultInfo(
        executable = script,
        files = depset([script, config]),
        runfiles = runfiles.merge(ctx.runfiles(files = [config])),
    )]

_services_launcher = rule(
    implementation = _services_launcher_impl,
    doc = "Starts `services` (their `bazel run` programs) as their `manifests` describe; see services_launcher().",
    executable = True,
    attrs = {
        "manifests": attr.label_list(allow_files = [".json"], mandatory = True, doc = "Each service's `:manifest`, in the order of `services`."),
        "services": attr.label_list(cfg = "target", mandatory = True, doc = "Each service's `bazel run` target."),
        "_launcher": attr.label(default = _LAUNCHER, executable = True, cfg = "target"),
    },
)

def services_launcher_errors(name, ports, package):
    """What is wrong with services_launcher's arguments: one message per problem.

    services_launcher() fails with these messages; they are computed apart from it, without
    fail(), so that tests can check them.

    Args:
      name: name of the launcher.
      ports: what port_registry() returned.
      package: where a service's package is, with `{name}` for its name.

    Returns:
      A list of messages, empty when the arguments are fine.
    """
    errors = []
    if type(ports) != "struct" or not hasattr(ports, "ports"):
        errors.append("services_launcher(name = \"{}\"): ports must be what port_registry() returns, not {}".format(name, type(ports)))
    if "{name}" not in package:
        errors.append("services_launcher(name = \"{}\"): package = \"{}\" must say where each service's package is with {{name}}, e.g. \"services/{{name}}\"".format(name, package))
    if package.startswith("/") or package.startswith("@") or ".." in package.split("/") or ":" in package:
        errors.append("services_launcher(name = \"{}\"): package = \"{}\" must be a package path relative to the repository root, e.g. \"services/{{name}}\"".format(name, package))
    return errors

def services_launcher(name, ports, package = "services/{name}", **kwargs):
    """`bazel run :<name>` starts every service of the port registry and stops them on Ctrl-C.

    The services are those of `ports`, the registry every fastapi_service() and
    express_service() must be in: a service is `//<package>:<name>` with its
    `//<package>:manifest`, `package` being this argument with the service's name put in
    (the layout `new_service_command` creates). `bazel run` builds them all, then starts
    each as its own `bazel run` would (environment, embedded PostgreSQL, development
    token), in the order of the `depends_on` of their manifests, prints a table of name,
    port, status and docs URL once each is ready, and streams their logs prefixed by
    name. Ctrl-C or SIGTERM stops them in reverse order, each with SIGTERM, then SIGKILL
    after `--stop-timeout` seconds, then whatever is left in the service's process group.

    `bazel run :<name> -- [SERVICE...] [--timeout S] [--port NAME=PORT] [--any-port]`:
    only the services named (and what they depend on), the readiness timeout (180 s),
    another port for a service, or a free port for each.

    Args:
      name: name of the launcher target, e.g. "up".
      ports: the repository's port registry, what port_registry() returned.
      package: the package of each service, with `{name}` for the service's name.
      **kwargs: passed to the rule (visibility, tags).
    """
    errors = services_launcher_errors(name, ports, package)
    if errors:
        fail("\n".join(errors))
    services = []
    manifests = []
    for service in sorted(ports.ports):
        service_package = "//" + package.format(name = service)
        services.append("{}:{}".format(service_package, service))
        manifests.append("{}:manifest".format(service_package))
    _services_launcher(name = name, services = services, manifests = manifests, **kwargs)
