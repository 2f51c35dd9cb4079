"""new_service_command: the scaffolder, bound to a repository's registry and template."""

load("@rules_python//python:defs.bzl", "py_binary")
load(":ports.bzl", "FASTAPI_RANGE")

_PROGRAM = Label("//tools/fastapi_rules/private/scaffold:new_service.py")

def new_service_command_errors(name, registry, template, ports_doc = None):
    """What is wrong with new_service_command's paths: one message per path to change.

    new_service_command() fails with these messages; they are computed apart from it,
    without fail(), so that tests can check them.

    Args:
      name: name of the command.
      registry: the registry .bzl file, relative to the repository root.
      template: the template service's package.
      ports_doc: the Markdown file of ports, or None.

    Returns:
      A list of messages, empty when every path is relative to the repository root.
    """
    errors = []

    # The command runs from the repository root (BUILD_WORKSPACE_DIRECTORY) and writes
    # there: an absolute path or a label, or a path out of the repository, is refused.
    for attribute, value in (("registry", registry), ("template", template), ("ports_doc", ports_doc)):
        if value == None:
            continue
        if value.startswith("/") or ".." in value.split("/"):
            errors.append("new_service_command(name = \"{}\"): {} = \"{}\" must be a path relative to the repository root, e.g. \"services/ports.bzl\"".format(name, attribute, value))
    return errors

def new_service_command(name, registry, template, ports_doc = None, bazel = "bazel", then = [], **kwargs):
    """`bazel run :<name> -- NAME [--port N]` creates a FastAPI service from a template.

    It copies the template's package to a sibling package NAME with the template's names
    replaced, reserves the next free FastAPI port in the registry, and adds a row to the
    ports document when there is one. It ends by printing what to run next: the new
    service's tests and `bazel run`, then the commands of `then`.

    Args:
      name: name of the command.
      registry: the registry .bzl file (it calls port_registry()), relative to the
        repository root, e.g. "services/ports.bzl".
      template: the template service's package, e.g. "services/template".
      ports_doc: a Markdown file with a table of ports to keep in step, e.g. "docs/ports.md".
      bazel: the command the printed lines run Bazel with, e.g. "tools/bazel" where a
        repository's launcher wraps it.
      then: commands printed after those, each run from the repository root once the
        service exists, e.g. "tools/bazel run //deploy:update" for a deployment generated
        from every service (`compose_deployment`), whose files test fails until it is run.
      **kwargs: passed to the py_binary.
    """
    errors = new_service_command_errors(name, registry, template, ports_doc)
    if errors:
        fail("\n".join(errors))

    # The port range is the registry's, written once (ports.bzl).
    args = [
        "--registry",
        registry,
        "--template",
        template,
        "--port-range",
        "{}-{}".format(FASTAPI_RANGE[0], FASTAPI_RANGE[1]),
        "--bazel",
        "'{}'".format(bazel),
    ]
    for command in then:
        args += ["--then", "'{}'".format(command)]
    if ports_doc:
        args += ["--ports-doc", ports_doc]
    py_binary(name = name, srcs = [_PROGRAM], main = _PROGRAM, args = args, **kwargs)
