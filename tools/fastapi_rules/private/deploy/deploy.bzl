"""compose_deployment: a compose file and Prometheus' configuration generated from the
service manifests, kept in the source tree, validated, and brought up in a test."""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")

_GENERATE = Label("//tools/fastapi_rules/private/deploy:generate")
_SYNC = Label("//tools/fastapi_rules/private/deploy:sync.py")
_CONFIG_TEST = Label("//tools/fastapi_rules/private/deploy:compose_config_test.py")
_PROMETHEUS_TEST = Label("//tools/fastapi_rules/private/deploy:prometheus_test.py")
_UP_TEST = Label("//tools/fastapi_rules/private/deploy:compose_up_test.py")
_LOAD_ALL = Label("//tools/fastapi_rules/private/deploy:load_all.py")
_YAML = Label("@pypi//pyyaml")
_UP_TEST_DEPS = [
    Label("//tools/fastapi_rules/private/image_test:podman"),
    Label("//tools/fastapi_rules/runtime:testing"),
    _YAML,
]

# The files compose_deployment writes, in this order (generate.py's FILES).
DEPLOYMENT_FILES = ["compose.yaml", "prometheus.yml", "prometheus.rules.yml", "blackbox.yml"]

def _number(text):
    """Whether text is a plain decimal number such as "0.05" or "1"."""
    whole, _, fraction = text.partition(".")
    return whole.isdigit() and (fraction == "" or fraction.isdigit())

def compose_deployment_errors(name, manifests, postgres_image, prometheus_image, project, error_ratio, latency_p99_seconds, scrape_interval):
    """What is wrong with compose_deployment's arguments: one message per problem.

    Args:
      name: name of the generated files' target.
      manifests: the services' `:manifest` targets.
      postgres_image: the PostgreSQL image's repo tag.
      prometheus_image: the Prometheus image's repo tag.
      project: the compose project name.
      error_ratio: the error ratio above which an alert fires.
      latency_p99_seconds: the 99th percentile latency above which an alert fires.
      scrape_interval: Prometheus' scrape and evaluation interval.

    Returns:
      A list of messages, each saying what to change; empty when the arguments are fine.
    """
    prefix = "compose_deployment(name = \"{}\"): ".format(name)
    errors = []
    if not manifests:
        errors.append(prefix + "manifests is empty; give the services' :manifest targets, e.g. manifests = [\"//services/pricing:manifest\"]")
    for attribute, tag in (("postgres_image", postgres_image), ("prometheus_image", prometheus_image)):
        if ":" not in tag.rpartition("/")[2] or " " in tag:
            errors.append(prefix + "{} = \"{}\" is not a repo tag; write it as its :load tags it, e.g. \"localhost/postgres:17\"".format(attribute, tag))
    if not project or not project[0].isalnum() or not all([c.isalnum() or c in "-_" for c in project.elems()]) or project.lower() != project:
        errors.append(prefix + "project = \"{}\" is not a compose project name: lower case letters, digits, - and _, e.g. \"shop\"".format(project))
    if not _number(error_ratio) or float(error_ratio) <= 0 or float(error_ratio) >= 1:
        errors.append(prefix + "error_ratio = \"{}\" is not a ratio between 0 and 1, e.g. \"0.05\"".format(error_ratio))
    if not _number(latency_p99_seconds) or float(latency_p99_seconds) <= 0:
        errors.append(prefix + "latency_p99_seconds = \"{}\" is not a number of seconds above 0, e.g. \"0.5\"".format(latency_p99_seconds))
    if not scrape_interval[:-1].isdigit() or scrape_interval[-1] not in "sm" or int(scrape_interval[:-1]) == 0:
        errors.append(prefix + "scrape_interval = \"{}\" is not a duration such as \"15s\" or \"1m\"".format(scrape_interval))
    return errors

def _deployment_files_impl(ctx):
    config = ctx.actions.declare_file(ctx.label.name + ".config.json")
    ctx.actions.write(config, json.encode({
        "command": ctx.attr.command,
        "error_ratio": ctx.attr.error_ratio,
        "latency_p99_seconds": ctx.attr.latency_p99_seconds,
        "postgres_image": ctx.attr.postgres_image,
        "project": ctx.attr.project,
        "prometheus_image": ctx.attr.prometheus_image,
        "scrape_interval": ctx.attr.scrape_interval,
    }))
    outputs = [ctx.outputs.compose, ctx.outputs.prometheus, ctx.outputs.rules, ctx.outputs.blackbox]
    args = ctx.actions.args()
    args.add("--config", config)
    args.add_all(ctx.files.manifests, before_each = "--manifest")
    if ctx.file.registry:
        args.add("--registry", ctx.file.registry)
    args.add("--output", ctx.outputs.compose.dirname)
    ctx.actions.run(
        executable = ctx.executable._generate,
        arguments = [args],
        inputs = [config] + ctx.files.manifests + ctx.files.registry,
        outputs = outputs,
        mnemonic = "ComposeDeployment",
        progress_message = "Generating the compose and Prometheus files of %{label}",
    )
    return [DefaultInfo(files = depset(outputs))]

_deployment_files = rule(
    implementation = _deployment_files_impl,
    attrs = {
        "blackbox": attr.output(mandatory = True),
        "command": attr.string(mandatory = True),
        "compose": attr.output(mandatory = True),
        "error_ratio": attr.string(mandatory = True),
        "latency_p99_seconds": attr.string(mandatory = True),
        "manifests": attr.label_list(allow_files = [".json"], mandatory = True),
        "postgres_image": attr.string(mandatory = True),
        "project": attr.string(mandatory = True),
        "prometheus": attr.output(mandatory = True),
        "prometheus_image": attr.string(mandatory = True),
        "registry": attr.label(allow_single_file = [".json"]),
        "rules": attr.output(mandatory = True),
        "scrape_interval": attr.string(mandatory = True),
        "_generate": attr.label(default = _GENERATE, executable = True, cfg = "exec"),
    },
)

def compose_deployment(
        name,
        manifests,
        postgres_image,
        prometheus_image,
        registry = None,
        images = [],
        loads = [],
        rules_tests = [],
        project = None,
        error_ratio = "0.05",
        latency_p99_seconds = "0.5",
        scrape_interval = "15s",
        visibility = None):
    """A compose file and Prometheus' configuration for a repository's services, generated.

    From the services' manifests (`fastapi_service` and `express_service` make one each)
    and, when given, the port registry as JSON, `:<name>` writes into `<name>/`:

    | file | what |
    | --- | --- |
    | `compose.yaml` | every service by the tag its `:load` gives it, on the host network at its registry port, as the image tests run images (uid 65532, read-only root with a tmpfs /tmp, no capabilities, no privilege escalation), in production: bearer tokens checked against the key set mounted as the secret `jwks` (the file `JWKS_FILE`) and the issuer `AUTH_ISSUER`; a health check on the readiness path in the image's own interpreter (the images have no shell); with the manifest's database variable, a database of its own on PostgreSQL (`postgres_image`, role `app`, password `POSTGRES_PASSWORD`, port 5432); Prometheus and its blackbox exporter (`prometheus_image`, 127.0.0.1:9090 and :9115) |
    | `prometheus.yml` | a scrape job per service's metrics path, and a readiness probe of each service's readiness path through the blackbox exporter (job `readiness`); every target labelled `service` and `framework` |
    | `prometheus.rules.yml` | recording rules by service (request rate, error ratio, 99th percentile latency, readiness) and alerts: `ServiceErrorRatioHigh`, `ServiceLatencyP99High`, `ServiceNotReady`, `ScrapeTargetDown` |
    | `blackbox.yml` | the blackbox exporter's `http_ready` module |

    The files belong in the source tree beside the BUILD file, and these targets keep them
    there:

    | target | what |
    | --- | --- |
    | `:update` | `bazel run` writes the generated files into this package |
    | `:files_test` | fails while a committed file differs from the generated one |
    | `:compose_config_test` | `podman-compose config` parses and interpolates the compose file; without its required variables it refuses naming them; tag `container` (podman-compose needs podman) |
    | `:prometheus_test` | `promtool check config` (the rules with it) and `promtool test rules` over `rules_tests` |
    | `:load` | `bazel run` loads every image of `loads` into this machine's podman (or docker; `-- --engine docker`), by the tags the compose file names |
    | `:compose_up_test` | loads `images` into a private podman store, `podman-compose up -d` in a network namespace of its own, waits for every service's readiness path, PostgreSQL, Prometheus and the blackbox exporter, checks that Prometheus scrapes and probes every service and that each container runs as 65532 on a read-only root, runs each health check's command in its image, then `podman-compose down`; tag `container` |

    Args:
      name: name of the generated files' target, and their directory.
      manifests: the services' `:manifest` targets (e.g. a filegroup gathering them).
      postgres_image: the repo tag of the PostgreSQL image, as its `:load` gives it.
      prometheus_image: the repo tag of the image with `/usr/bin/prometheus`,
        `/usr/bin/promtool` and `/usr/bin/prometheus-blackbox-exporter`.
      registry: the port registry as JSON (`{"ports": {name: port}}`); when given, every
        service of it must have a manifest, at the registry's port.
      images: the tarballs (`:tarball`) of every image the compose file names, for
        `:compose_up_test`; without them that test is not made.
      loads: the `oci_load` targets (`:load`) of every image the compose file names, or
        filegroups of them, for `:load`; without them that command is not made.
      rules_tests: promtool rule unit test files of this package, naming
        `prometheus.rules.yml` in their `rule_files`.
      project: the compose project name; default the package's last component.
      error_ratio: the 5xx ratio over 5 minutes above which `ServiceErrorRatioHigh` fires
        (after 5 minutes).
      latency_p99_seconds: the 99th percentile latency over 5 minutes above which
        `ServiceLatencyP99High` fires (after 10 minutes).
      scrape_interval: Prometheus' scrape and rule evaluation interval.
      visibility: visibility of the generated files' target.
    """
    package = native.package_name()
    project = project if project != None else package.rpartition("/")[2].replace(".", "-").lower()
    errors = compose_deployment_errors(name, manifests, postgres_image, prometheus_image, project, error_ratio, latency_p99_seconds, scrape_interval)
    if errors:
        fail("\n".join(errors))
    command = "bazel run //{}:update".format(package)
    generated = {f: "{}/{}".format(name, f) for f in DEPLOYMENT_FILES}
    generated_files = [":" + generated[f] for f in DEPLOYMENT_FILES]
    _deployment_files(
        name = name,
        command = command,
        manifests = manifests,
        registry = registry,
        postgres_image = postgres_image,
        prometheus_image = prometheus_image,
        project = project,
        error_ratio = error_ratio,
        latency_p99_seconds = latency_p99_seconds,
        scrape_interval = scrape_interval,
        compose = generated["compose.yaml"],
        prometheus = generated["prometheus.yml"],
        rules = generated["prometheus.rules.yml"],
        blackbox = generated["blackbox.yml"],
        visibility = visibility,
    )
    destination = {f: (package + "/" + f).lstrip("/") for f in DEPLOYMENT_FILES}
    pairs = ["$(rootpath :{})={}".format(generated[f], destination[f]) for f in DEPLOYMENT_FILES]
    py_binary(
        name = "update",
        srcs = [_SYNC],
        main = _SYNC,
        args = ["--command", "'{}'".format(command)] + pairs,
        data = generated_files,
    )

    # A file not committed yet is reported stale, not a missing input.
    committed = native.glob(DEPLOYMENT_FILES, allow_empty = True)
    py_test(
        name = "files_test",
        size = "small",
        srcs = [_SYNC],
        main = _SYNC,
        args = ["--command", "'{}'".format(command), "--check"] + pairs,
        data = generated_files + committed,
    )
    compose_file = "$(rootpath :{})".format(generated["compose.yaml"])
    py_test(
        name = "compose_config_test",
        size = "small",
        srcs = [_CONFIG_TEST],
        main = _CONFIG_TEST,
        args = ["--compose", compose_file, "--manifests"] + ["$(rootpaths {})".format(m) for m in manifests],
        data = generated_files + manifests,
        deps = [_YAML],
        # podman-compose asks podman for its version first: --test_tag_filters=-container
        # skips it where there is none.
        tags = ["container"],
    )
    py_test(
        name = "prometheus_test",
        size = "small",
        srcs = [_PROMETHEUS_TEST],
        main = _PROMETHEUS_TEST,
        args = ["--config", "$(rootpath :{})".format(generated["prometheus.yml"]), "--rules-tests"] +
               ["$(rootpath {})".format(t) for t in rules_tests],
        data = generated_files + rules_tests,
    )
    if loads:
        py_binary(
            name = "load",
            srcs = [_LOAD_ALL],
            main = _LOAD_ALL,
            args = ["$(rootpaths {})".format(target) for target in loads] + ["--"],
            data = loads,
        )
    if images:
        py_test(
            name = "compose_up_test",
            size = "large",
            srcs = [_UP_TEST],
            main = _UP_TEST,
            args = ["--compose", compose_file, "--manifests"] +
                   ["$(rootpaths {})".format(m) for m in manifests] +
                   ["--images"] + ["$(rootpaths {})".format(i) for i in images],
            data = generated_files + manifests + images,
            deps = _UP_TEST_DEPS,
            # Runs images under podman: --test_tag_filters=-container skips it where there
            # is none.
            tags = ["container", "no-sandbox"],
        )
