"""express_service: one declaration gives an Express service what fastapi_service gives a
FastAPI one: server, tests, lint, OCI image, image test and manifest."""

load("//tools/fastapi_rules/private/lint:eslint.bzl", "eslint_test")
load("//tools/fastapi_rules/private/node:binary.bzl", "node_binary")
load("//tools/fastapi_rules/private/node:layers.bzl", "node_image_entrypoint", "node_image_layer")
load("//tools/fastapi_rules/private/node:test.bzl", "node_test")
load("//tools/fastapi_rules/private/oci:image.bzl", "oci_image")
load(":image_targets.bzl", "service_image_targets")
load(":ports.bzl", "depends_on_errors", "service_port")
load(":service.bzl", "default_env_prefix", "env_prefix_error", "service_manifest")

_BASE_IMAGE = Label("//tools/fastapi_rules/images:node_base")

# The platform paths every service serves (docs/logging.md); an Express service serves
# them itself, and its image test and manifest name them.
_LIVE_PATH = "/health/live"
_READY_PATH = "/health/ready"
_METRICS_PATH = "/metrics"

# Where node_image_layer puts the service's package in the image.
_APP_DIR = "/app"

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_"
_JS_SUFFIXES = (".js", ".mjs", ".cjs")

def _is_variable_name(text):
    return bool(text) and text.replace("_", "a").isalnum() and not text[0].isdigit()

def _is_package_path(path):
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all([part and part not in (".", "..") for part in parts])

def express_service_errors(name, srcs, main, npm, version = "0.1.0", env = {}, database_env = None, env_prefix = None):
    """What is wrong with express_service's arguments: one message per problem.

    express_service() fails with these messages. They are computed apart from it, without
    fail(), so that tests can check every message (a failure at loading time cannot be
    caught). The port is checked by service_port_errors() of ports.bzl.

    Args:
      name: the service name.
      srcs: the service's JavaScript files and package.json.
      main: the file that starts the server, relative to the package.
      npm: the hub repository of the service's npm lock, e.g. "@web_npm".
      version: the service version.
      env: environment variables, name to value.
      database_env: the variable that carries the database URL, if any.
      env_prefix: the prefix of the service's settings variables, if given.

    Returns:
      A list of messages, each saying what to change; empty when the arguments are fine.
    """
    prefix = "express_service(name = \"{}\"): ".format(name)
    errors = []
    if not name or not name[0].islower() or not name[0].isalpha() or not all([c in _NAME_CHARS for c in name.elems()]):
        errors.append(prefix + "a service name is lower case letters, digits, - and _, starting with a letter, e.g. \"web\" or \"analytics-express\"")

    # srcs may be a select(), whose branches are unknown here.
    listed = type(srcs) == "list"
    if listed and not srcs:
        errors.append(prefix + "srcs is empty; list the service's JavaScript files and its package.json, e.g. srcs = glob([\"*.js\", \"src/**/*.js\"]) + [\"package.json\"]")
    elif listed and "package.json" not in srcs:
        errors.append(prefix + "srcs has no package.json; add it: its \"type\" tells Node how to load the service's .js files, and the image carries it")
    if not _is_package_path(main) or not main.endswith(_JS_SUFFIXES):
        errors.append(prefix + "main = \"{}\" is not a JavaScript file of this package; write it like main = \"server.js\"".format(main))
    elif listed and srcs and main not in srcs:
        errors.append(prefix + "main = \"{}\" is not in srcs; add it, or point main at the file that starts the server".format(main))
    if not npm.startswith("@") or "/" in npm or ":" in npm or len(npm) < 2:
        errors.append(prefix + "npm = \"{}\" is not a repository; give the hub of the service's lock, e.g. npm = \"@web_npm\" for npm.lock(name = \"web_npm\", lock = \"//services/web:package-lock.json\") in MODULE.bazel".format(npm))
    if not version:
        errors.append(prefix + "version is empty; give one such as \"1.0.0\"")
    for key in env:
        if not _is_variable_name(key):
            errors.append(prefix + "env key \"{}\" is not a valid variable name".format(key))
    if database_env != None and not _is_variable_name(database_env):
        errors.append(prefix + "database_env = \"{}\" is not a variable name; write it like \"ANALYTICS_DATABASE__URL\"".format(database_env))
    if env_prefix != None and env_prefix_error("express_service", name, env_prefix):
        errors.append(env_prefix_error("express_service", name, env_prefix))
    return errors

def express_service(
        name,
        srcs,
        main,
        npm,
        ports,
        data = [],
        tests = None,
        test_data = [],
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
        node_options = [],
        docs_path = None,
        image_exclude = [],
        visibility = None):
    """An Express service: local server, tests, lint, OCI image and manifest.

    The Node counterpart of `fastapi_service`, with the same targets and checks. The
    service's port comes from the repository's port registry (`ports`, made by
    `port_registry()`: its `express` dict, 4200-4299) and reaches the server (as
    `EXPRESS_SERVICE_PORT`), the image's exposed port and labels, and the manifest. Its npm packages come from
    its own package-lock.json, which the npm module extension fetches into a hub
    repository (`npm.lock(name = "web_npm", lock = "//services/web:package-lock.json")`
    in MODULE.bazel, `npm_lock` for the lock command); nothing runs `npm install`. A
    repository binds its registry once, as for fastapi_service:

    ```starlark
    load("@fastapi_rules//tools/fastapi_rules:defs.bzl", _express_service = "express_service")
    load("//services:ports.bzl", "PORTS")

    def express_service(**kwargs):
        _express_service(ports = PORTS, **kwargs)
    ```

    The service serves the platform's contract itself (docs/logging.md): `/health/live`,
    `/health/ready` (503 while it drains after SIGTERM; the image test checks it),
    `/metrics`, problem+json errors, `X-Request-ID`, JSON logs. The macro gives it its
    name, port, title, version and description as `EXPRESS_SERVICE_NAME`,
    `EXPRESS_SERVICE_PORT`, `EXPRESS_SERVICE_TITLE`, `EXPRESS_SERVICE_VERSION` and
    `EXPRESS_SERVICE_DESCRIPTION`; `PORT` (as the image test sets it), `HOST` and
    `DRAIN_SECONDS` override, as for FastAPI services.

    Generated targets, in the calling package:

    | target | what |
    | --- | --- |
    | `:<name>` | `bazel run` serves the app with the build environment's Node.js on the service's port |
    | `:test` | `node --test` over `tests`, with the service's files and node_modules (devDependencies too); with `database_env`, a throwaway PostgreSQL whose URL is `TEST_POSTGRES_URL` |
    | `:lint` | eslint (flat configuration) over every JavaScript file of the package |
    | `:image` | the OCI image: Debian Node.js base, node_modules layer, app layer, under /app |
    | `:image_test` | runs the image under podman as production does (uid 65532, read-only, no capabilities): ready, problem+json 404, SIGTERM drain and exit 0; tag `container` |
    | `:tarball`, `:load`, `:push` | the image as an archive, loaded into podman/docker, pushed |
    | `:manifest` | `<name>.manifest.json`: name, framework, port, health and metrics paths, image, env, settings prefix, database variable, depends_on |
    | `:sources` | every file of the package, for tools that copy or package a service |

    Args:
      name: the service name, also its key in the port registry: lower case letters,
        digits, `-` and `_` (an npm package name), e.g. "analytics-express".
      srcs: the service's JavaScript files and its package.json (whose `type` decides
        between ES modules and CommonJS).
      main: the file that starts the server, relative to this package, e.g. "server.js".
      npm: the hub repository of the service's lock, e.g. "@web_npm": `:node_modules`
        (dependencies) runs and ships, `:node_modules_dev` (with devDependencies) tests.
      ports: the repository's port registry, what `port_registry()` returned.
      data: files the service reads at run time, in this package (the image holds the
        package only).
      tests: test files and their helpers; default `glob(["tests/**/*.js", ...])` with
        .mjs and .cjs (`node --test` runs the `*.test.js` ones).
      test_data: extra files only the tests read.
      env: environment variables for `bazel run`, the tests and the image.
      title: the service's title; default from the name.
      description: the service's description.
      version: the service version, in the image labels and the manifest.
      base: base image (an oci_image); default the Debian 13 Node.js base.
      user: user the container runs as.
      labels: extra image labels.
      push_repository: default HOST/NAME for `bazel run :push` (`--repository` overrides).
      database_env: the environment variable that carries the service's PostgreSQL URL
        (e.g. "ANALYTICS_DATABASE__URL"), for services that need a database: `:test` gets
        a throwaway server, `bazel run` without the variable starts one and sets it, and
        `:image_test` starts one and passes its URL there.
      env_prefix: the prefix of the service's settings variables (`<PREFIX>ENVIRONMENT`,
        `<PREFIX>LOG_LEVEL`, ...), which tools that deploy it configure it with; default
        the name in upper case with `-` as `_`, e.g. "ANALYTICS_EXPRESS_" (a twin that
        reads its FastAPI twin's variables gives that one's, "ANALYTICS_").
      depends_on: names of the services of the registry this one needs running before it
        starts (the services it calls): the manifest lists them, and `services_launcher`
        starts those first.
      node_options: further options of node for `bazel run` and the tests (the image
        runs plain `node main`).
      image_exclude: glob patterns of paths in `node_modules` to leave out of the image
        (`node_image_layer`'s `exclude`, e.g. `"onnxruntime-node/bin/napi-v6/darwin"` for
        the prebuilt binaries of platforms the image never runs on); a pattern that matches
        nothing fails the build. `bazel run` and the tests keep every file.
      docs_path: the path of the service's API documentation page (e.g. "/docs"), if it
        serves one: `:image_test` loads it and every script and style sheet it references,
        which must come from the service itself (documentation that works offline).
      visibility: visibility of the generated targets; the server (`:<name>`),
        `:manifest`, `:load` and `:tarball` are public whatever it says, for the tools
        that run and deploy every service of the registry.
    """
    errors = express_service_errors(
        name = name,
        srcs = srcs,
        main = main,
        npm = npm,
        version = version,
        env = env,
        database_env = database_env,
        env_prefix = env_prefix,
    )
    errors += depends_on_errors(name, depends_on, ports)
    if errors:
        fail("\n".join(errors))
    port = service_port(name, ports, framework = "express")
    title = title or name.replace("-", " ").replace("_", " ").title()
    if tests == None:
        tests = native.glob(["tests/**/*.js", "tests/**/*.mjs", "tests/**/*.cjs"], allow_empty = True)
    service_env = dict(env)
    service_env.update({
        "EXPRESS_SERVICE_DESCRIPTION": description,
        "EXPRESS_SERVICE_NAME": name,
        "EXPRESS_SERVICE_PORT": str(port),
        "EXPRESS_SERVICE_TITLE": title,
        "EXPRESS_SERVICE_VERSION": version,
    })
    package = native.package_name()
    repo_tag = "localhost/{}:{}".format(name, version)
    node_modules = npm + "//:node_modules"

    node_binary(
        name = name,
        entry_point = main,
        srcs = srcs,
        data = data,
        env = service_env,
        node_modules = node_modules,
        node_options = node_options,
        postgres_env = database_env or "",
        # Public whatever `visibility` says, as :manifest is: the platform's tools run
        # every service of the registry as `bazel run` does (//services:up, the editor
        # venv, the contract suite); `visibility` guards the service's code, `_lib`.
        visibility = ["//visibility:public"],
    )
    if tests:
        node_test(
            name = "test",
            size = "medium",
            srcs = tests,
            data = srcs + data + test_data,
            env = service_env,
            node_modules = npm + "//:node_modules_dev",
            node_options = node_options,
            postgres = database_env != None,
        )

    # Every JavaScript file of the package, also those of tests declared beside the macro.
    javascript = native.glob(["**/*.js", "**/*.mjs", "**/*.cjs"], exclude = ["node_modules/**"], allow_empty = True)
    eslint_test(name = "lint", srcs = javascript or [src for src in srcs + tests if src.endswith(_JS_SUFFIXES)])

    node_image_layer(name = name + "_layers", binary = ":" + name, prefix = _APP_DIR, exclude = image_exclude)
    image_labels = {
        "com.fastapi-rules.framework": "express",
        "com.fastapi-rules.health": _READY_PATH,
        "com.fastapi-rules.port": str(port),
        "com.fastapi-rules.service": name,
        "org.opencontainers.image.title": title,
        "org.opencontainers.image.version": version,
    }
    image_labels.update(labels)
    image_env = dict(service_env)
    image_env["NODE_ENV"] = "production"
    oci_image(
        name = "image",
        base = base or _BASE_IMAGE,
        tars = [":" + name + "_layers"],
        entrypoint = node_image_entrypoint(main, prefix = _APP_DIR),
        env = image_env,
        exposed_ports = ["{}/tcp".format(port)],
        labels = image_labels,
        user = user,
        workdir = _APP_DIR,
        visibility = visibility,
    )
    service_image_targets(
        name = "image",
        repo_tag = repo_tag,
        version = version,
        ready_path = _READY_PATH,
        push_repository = push_repository,
        database_env = database_env,
        docs_path = docs_path,
    )
    native.filegroup(
        name = "sources",
        srcs = native.glob(["**"], exclude = ["node_modules/**"]),
        visibility = visibility or ["//tools/fastapi_rules:__subpackages__"],
    )
    service_manifest(
        name = "manifest",
        out = name + ".manifest.json",
        database_env = database_env,
        depends_on = depends_on,
        env = env,
        env_prefix = env_prefix or default_env_prefix(name),
        framework = "express",
        health = {"live": _LIVE_PATH, "ready": _READY_PATH},
        image = "//{}:image".format(package),
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
