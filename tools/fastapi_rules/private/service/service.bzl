"""fastapi_service: one declaration gives a FastAPI service everything it needs."""

load("@rules_python//python:defs.bzl", "py_binary", "py_library")
load("//tools/fastapi_rules/private/lint:ruff.bzl", "ruff_test")
load("//tools/fastapi_rules/private/oci:image.bzl", "oci_image")
load("//tools/fastapi_rules/private/oci:py_layers.bzl", "py_image_entrypoint", "py_image_layer")
load("//tools/fastapi_rules/private/python:pytest.bzl", "pytest_test")
load(":image_targets.bzl", "service_image_targets")
load(":ports.bzl", "depends_on_errors", "service_port")

_RUNTIME = Label("//tools/fastapi_rules/runtime:servicekit")
_RUNTIME_TESTING = Label("//tools/fastapi_rules/runtime:testing")
_BASE_IMAGE = Label("//tools/fastapi_rules/images:python_base")

# The paths servicekit serves for the platform (servicekit/paths.py); the manifest, image
# labels and image test name them. //tools/fastapi_rules/private/service:paths_test fails
# while the two disagree.
_LIVE_PATH = "/health/live"
_READY_PATH = "/health/ready"
_METRICS_PATH = "/metrics"
_IDENTIFIER_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

def _is_identifier(text):
    return bool(text) and not text[0].isdigit() and all([c in _IDENTIFIER_CHARS for c in text.elems()])

def _name_error(name):
    if not name or not name[0].islower() or not all([c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in name.elems()]):
        return "fastapi_service(name = \"{}\"): a service name is lower case letters, digits and _, starting with a letter, e.g. \"pricing\" or \"risk_limits\"".format(name)
    return None

def _app_error(name, app, srcs):
    """Checks `app` ("module:attribute") against srcs."""
    module, sep, attribute = app.partition(":")
    parts = module.split(".")
    if not sep or not _is_identifier(attribute) or not all([_is_identifier(p) for p in parts]):
        return "fastapi_service(name = \"{}\"): app = \"{}\" is not MODULE:ATTRIBUTE; write it like app = \"main:app\" (main.py in this package, variable app)".format(name, app)
    source = "/".join(parts) + ".py"

    # srcs may be a select(), whose branches are unknown here.
    if srcs and type(srcs) == "list" and source not in srcs:
        return "fastapi_service(name = \"{}\"): app = \"{}\" needs {} in srcs; add it, or point app at the module that creates the FastAPI app".format(name, app, source)
    return None

def _is_variable_name(text):
    return bool(text) and text.replace("_", "a").isalnum() and not text[0].isdigit()

def default_env_prefix(name):
    """The prefix of a service's settings variables unless it says otherwise.

    The name in upper case, `-` as `_`, then `_`: "analytics" reads `ANALYTICS_*`.

    Args:
      name: the service name.

    Returns:
      The prefix, e.g. "RISK_LIMITS_" for "risk-limits".
    """
    return name.upper().replace("-", "_") + "_"

def env_prefix_error(macro, name, env_prefix):
    """The message for an env_prefix that is not upper case letters, digits and `_` ending in `_`, or None.

    Args:
      macro: the macro's name, for the message.
      name: the service name.
      env_prefix: the prefix given.

    Returns:
      The message, or None when the prefix is fine.
    """
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if (env_prefix and env_prefix[0] in upper and env_prefix.endswith("_") and
        all([c in upper + "0123456789_" for c in env_prefix.elems()])):
        return None
    return "{}(name = \"{}\"): env_prefix = \"{}\" is not the prefix of the service's settings variables; write it as they are declared, upper case letters, digits and _ ending in _, e.g. \"PRICING_\"".format(macro, name, env_prefix)

def fastapi_service_errors(name, srcs, app, version = "0.1.0", env = {}, database_env = None, env_prefix = None):
    """What is wrong with fastapi_service's arguments: one message per problem.

    fastapi_service() fails with these messages. They are computed apart from it, without
    fail(), so that tests can check every message (a failure at loading time cannot be
    caught). The port is checked by service_port_errors() of ports.bzl.

    Args:
      name: the service name.
      srcs: the service's Python files.
      app: the ASGI app as "module:attribute".
      version: the service version.
      env: environment variables, name to value.
      database_env: the variable that carries the database URL, if any.
      env_prefix: the prefix of the service's settings variables, if given.

    Returns:
      A list of messages, each saying what to change; empty when the arguments are fine.
    """
    errors = [_name_error(name)]
    if not srcs:
        errors.append("fastapi_service(name = \"{}\"): srcs is empty; list the service's Python files, e.g. srcs = [\"main.py\"]".format(name))
    if not version:
        errors.append("fastapi_service(name = \"{}\"): version is empty; give one such as \"1.0.0\"".format(name))
    for key in env:
        if not _is_variable_name(key):
            errors.append("fastapi_service(name = \"{}\"): env key \"{}\" is not a valid variable name".format(name, key))
    if database_env != None and not _is_variable_name(database_env):
        errors.append("fastapi_service(name = \"{}\"): database_env = \"{}\" is not a variable name; write it like \"ANALYTICS_DATABASE__URL\"".format(name, database_env))
    if env_prefix != None:
        errors.append(env_prefix_error("fastapi_service", name, env_prefix))
    errors.append(_app_error(name, app, srcs))
    return [error for error in errors if error]

def app_import_path(package, app):
    """The import path uvicorn is given for `app`, a "module:attribute" of `package`.

    Args:
      package: the Bazel package of the service, e.g. "services/pricing".
      app: the app as fastapi_service takes it, e.g. "main:app".

    Returns:
      The module's import path from the repository root and the attribute, e.g.
      "services.pricing.main:app".
    """
    module, _, attribute = app.partition(":")
    return ".".join(([package.replace("/", ".")] if package else []) + module.split(".")) + ":" + attribute

def _service_main_impl(ctx):
    ctx.actions.write(ctx.outputs.out, """\
# Generated by fastapi_service({name}): serves {app} on port {port}.
from servicekit.serve import serve

if __name__ == "__main__":
    serve({app_literal}, port={port})
""".format(name = ctx.attr.service, app = ctx.attr.app, app_literal = json.encode(ctx.attr.app), port = ctx.attr.port))

_service_main = rule(
    implementation = _service_main_impl,
    attrs = {
        "app": attr.string(mandatory = True),
        "out": attr.output(mandatory = True),
        "port": attr.int(mandatory = True),
        "service": attr.string(mandatory = True),
    },
)

def _manifest_impl(ctx):
    ctx.actions.write(ctx.outputs.out, json.encode_indent({
        "database_env": ctx.attr.database_env or None,
        "depends_on": ctx.attr.depends_on,
        "env": ctx.attr.env,
        "env_prefix": ctx.attr.env_prefix,
        "framework": ctx.attr.framework,
        "health": ctx.attr.health,
        "image": {
            "label": ctx.attr.image,
            "repo_tag": ctx.attr.repo_tag,
            "user": ctx.attr.user,
        },
        "metrics_path": ctx.attr.metrics_path,
        "name": ctx.attr.service,
        "port": ctx.attr.port,
        "title": ctx.attr.title,
        "version": ctx.attr.version,
    }, indent = "  ") + "\n")

service_manifest = rule(
    implementation = _manifest_impl,
    doc = "`<service>.manifest.json`: what tools that deploy or document services read of each.",
    attrs = {
        "database_env": attr.string(),
        "depends_on": attr.string_list(),
        "env": attr.string_dict(),
        "env_prefix": attr.string(),
        "framework": attr.string(mandatory = True, values = ["express", "fastapi"]),
        "health": attr.string_dict(),
        "image": attr.string(),
        "metrics_path": attr.string(),
        "out": attr.output(mandatory = True),
        "port": attr.int(),
        "repo_tag": attr.string(),
        "service": attr.string(),
        "title": attr.string(),
        "user": attr.string(),
        "version": attr.string(),
    },
)

def fastapi_service(
        name,
        srcs,
        app,
        ports,
        deps = [],
        data = [],
        tests = None,
        test_deps = [],
        env = {},
        title = None,
        description = "",
        version = "0.1.0",
        base = None,
        user = "65532",
        labels = {},
        push_repository = "",
        database_env = None,
        env_prefix = None,
        depends_on = [],
        bytecode = True,
        visibility = None):
    """A FastAPI service: local server, tests, lint, OCI image and manifest.

    The service's port comes from the repository's port registry (`ports`, made by
    `port_registry()`), and reaches uvicorn, the image's exposed port and labels, and the
    manifest from there. A repository binds its registry once, in a macro of its own:

    ```starlark
    load("@fastapi_rules//tools/fastapi_rules:defs.bzl", _fastapi_service = "fastapi_service")
    load("//services:ports.bzl", "PORTS")

    def fastapi_service(**kwargs):
        _fastapi_service(ports = PORTS, **kwargs)
    ``` Every runtime target
    depends on the shared runtime library (`import servicekit`).

    Generated targets, in the calling package:

    | target | what |
    | --- | --- |
    | `:<name>` | `bazel run` serves the app with uvicorn on the service's port |
    | `:<name>_lib` | the service's code as a py_library |
    | `:test` | pytest with pytest-asyncio over `tests`; the PostgreSQL plugin is loaded |
    | `:lint` | ruff check and format check over every Python file of the package |
    | `:image` | the OCI image: Debian Python base, wheels layer, app layer |
    | `:image_test` | runs the image under podman as production does (uid 65532, read-only, no capabilities): ready, docs, problem+json 404, SIGTERM drain and exit 0; with `database_env`, a throwaway PostgreSQL, and without it a one-line refusal; tag `container` |
    | `:tarball`, `:load`, `:push` | the image as an archive, loaded into podman/docker, pushed |
    | `:manifest` | `<name>.manifest.json`: name, framework, port, health and metrics paths, image, env, settings prefix, database variable, depends_on |
    | `:sources` | every file of the package, for tools that copy or package a service |

    Args:
      name: the service name; also its key in the port registry.
      srcs: the service's Python files.
      app: the ASGI app as "module:attribute", module relative to this package (e.g. "main:app").
      ports: the repository's port registry, what `port_registry()` returned.
      deps: libraries the service imports (`@pypi//...` and first-party).
      data: files the service reads at run time.
      tests: test files; default `glob(["tests/**/*.py"])`.
      test_deps: extra libraries only the tests import.
      env: environment variables for `bazel run`, the tests and the image.
      title: OpenAPI title; default from the name.
      description: OpenAPI description.
      version: the service version, in OpenAPI and the image labels.
      base: base image (an oci_image); default the Debian Python 3.13 base.
      user: user the container runs as.
      labels: extra image labels.
      push_repository: default HOST/NAME for `bazel run :push` (`--repository` overrides).
      database_env: the environment variable that carries the service's PostgreSQL URL
        (e.g. "ANALYTICS_DATABASE__URL"), for services that need a database to be ready:
        `:image_test` then starts a throwaway PostgreSQL and passes its URL there.
      env_prefix: the prefix of the service's settings variables (`env_prefix` of its
        `ServiceSettings`), which tools that deploy it configure it with (e.g.
        `<PREFIX>ENVIRONMENT`); default the name in upper case and `_`, e.g. "PRICING_",
        as the template's settings and the scaffolder write it.
      depends_on: names of the services of the registry this one needs running before it
        starts (the services it calls): the manifest lists them, and `services_launcher`
        starts those first.
      bytecode: compile the service's and its wheels' modules into the image (see
        py_image_layer); turn off only to measure what it saves.
      visibility: visibility of the generated targets; the server (`:<name>`),
        `:manifest`, `:load` and `:tarball` are public whatever it says, for the tools
        that run and deploy every service of the registry.
    """
    errors = fastapi_service_errors(
        name = name,
        srcs = srcs,
        app = app,
        version = version,
        env = env,
        database_env = database_env,
        env_prefix = env_prefix,
    )
    errors += depends_on_errors(name, depends_on, ports)
    if errors:
        fail("\n".join(errors))
    app_path = app_import_path(native.package_name(), app)
    port = service_port(name, ports)
    title = title or name.replace("_", " ").title()
    if tests == None:
        tests = native.glob(["tests/**/*.py"], allow_empty = True)
    service_env = dict(env)
    service_env.update({
        "FASTAPI_SERVICE_DESCRIPTION": description,
        "FASTAPI_SERVICE_NAME": name,
        "FASTAPI_SERVICE_TITLE": title,
        "FASTAPI_SERVICE_VERSION": version,
    })
    package = native.package_name()
    image_label = "//{}:image".format(package)
    repo_tag = "localhost/{}:{}".format(name, version)

    py_library(
        name = name + "_lib",
        srcs = srcs,
        data = data,
        deps = deps + [_RUNTIME],
        visibility = visibility,
    )
    main = name + "_main.py"
    _service_main(name = name + "_main", app = app_path, port = port, service = name, out = main)
    py_binary(
        name = name,
        srcs = [main],
        main = main,
        env = service_env,
        deps = [":" + name + "_lib", _RUNTIME],
        # Public whatever `visibility` says, as :manifest is: the platform's tools run
        # every service of the registry as `bazel run` does (//services:up, the editor
        # venv, the contract suite); `visibility` guards the service's code, `_lib`.
        visibility = ["//visibility:public"],
    )
    if tests:
        pytest_test(
            name = "test",
            size = "medium",
            srcs = tests,
            args = ["-p", "servicekit.testing.postgres"],
            env = service_env,
            deps = [":" + name + "_lib", _RUNTIME_TESTING] + test_deps,
        )

    # Every Python file of the package, also those of tests declared beside the macro.
    ruff_test(name = "lint", srcs = native.glob(["**/*.py"], allow_empty = True) or srcs + tests)

    py_image_layer(name = name + "_layers", binary = ":" + name, bytecode = bytecode)
    image_labels = {
        "com.fastapi-rules.framework": "fastapi",
        "com.fastapi-rules.health": _READY_PATH,
        "com.fastapi-rules.port": str(port),
        "com.fastapi-rules.service": name,
        "org.opencontainers.image.title": title,
        "org.opencontainers.image.version": version,
    }
    image_labels.update(labels)
    oci_image(
        name = "image",
        base = base or _BASE_IMAGE,
        tars = [":" + name + "_layers"],
        entrypoint = [py_image_entrypoint(":" + name)],
        env = service_env,
        exposed_ports = ["{}/tcp".format(port)],
        labels = image_labels,
        user = user,
        visibility = visibility,
    )
    service_image_targets(
        name = "image",
        repo_tag = repo_tag,
        version = version,
        ready_path = _READY_PATH,
        push_repository = push_repository,
        database_env = database_env,
        docs_path = "/docs",
    )
    native.filegroup(
        name = "sources",
        srcs = native.glob(["**"]),
        visibility = visibility or ["//tools/fastapi_rules:__subpackages__"],
    )
    service_manifest(
        name = "manifest",
        out = name + ".manifest.json",
        database_env = database_env,
        depends_on = depends_on,
        env = env,
        env_prefix = env_prefix or default_env_prefix(name),
        framework = "fastapi",
        health = {"live": _LIVE_PATH, "ready": _READY_PATH},
        image = image_label,
        metrics_path = _METRICS_PATH,
        port = port,
        repo_tag = repo_tag,
        service = name,
        title = title,
        user = user,
        version = version,
        # Tools that deploy or document services read every service's manifest, whatever
        # the visibility of the service's other targets.
        visibility = ["//visibility:public"],
    )
