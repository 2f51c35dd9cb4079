"""The `pypi` module extension: locked wheels from pylock.toml as `@pypi//<name>`."""

load(":repositories.bzl", "find_python", "hub_repository", "wheel_repository")

_PYLOCK = Label("//tools/fastapi_rules/private/pypi:pylock.py")

def _read_lock(module_ctx, python, lock):
    module_ctx.watch(_PYLOCK)
    result = module_ctx.execute([python, module_ctx.path(_PYLOCK), module_ctx.path(lock)], quiet = True)
    if result.return_code != 0:
        fail("reading {}: {}".format(lock, result.stderr.strip()))
    return json.decode(result.stdout)

def _pypi_impl(module_ctx):
    python = find_python(module_ctx)
    hubs = {}
    for module in module_ctx.modules:
        for tag in module.tags.lock:
            if tag.hub_name in hubs:
                fail("pypi.lock(hub_name = \"{}\") is declared twice; give each lock its own hub_name".format(tag.hub_name))
            hubs[tag.hub_name] = tag.lock

    for hub_name, lock in hubs.items():
        packages = _read_lock(module_ctx, python, lock)
        prefix = hub_name + "_"
        for repo, package in packages.items():
            wheel_repository(
                name = prefix + repo,
                deps = [prefix + dependency for dependency in package["dependencies"]],
                filename = package["filename"],
                project = package["name"],
                sha256 = package["sha256"],
            )
        hub_repository(
            name = hub_name,
            lock = str(lock),
            packages = {repo: prefix + repo for repo in packages},
        )

_lock_tag = tag_class(
    doc = "A pylock.toml whose wheels become the repositories of one hub.",
    attrs = {
        "hub_name": attr.string(default = "pypi", doc = "Name of the hub repository: `@<hub_name>//<package>`."),
        "lock": attr.label(mandatory = True, doc = "The pylock.toml written by the lock command."),
    },
)

pypi = module_extension(
    implementation = _pypi_impl,
    doc = "Downloads each wheel of a pylock.toml with Bazel's downloader, pinned by sha256, and exposes it as a py_library.",
    tag_classes = {"lock": _lock_tag},
)
