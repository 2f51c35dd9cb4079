"""Reading an npm package-lock.json (lockfileVersion 3) in Starlark: which packages to
fetch, under which repository names, and where each goes in node_modules.

Pure functions, apart from the extension, so that Starlark unit tests can check them
(starlark_tests/lockfile_test.bzl).
"""

# The platform the lock is installed for: Linux on x86-64, as the images and the build
# environment are. npm's names: process.platform and process.arch.
NPM_OS = "linux"
NPM_CPU = "x64"

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

def _sanitize(text):
    return "".join([c if c in _NAME_CHARS else "_" for c in text.elems()])

def package_names(path):
    """The package names along a node_modules path.

    Args:
      path: a key of the lock's `packages`, e.g. "node_modules/a/node_modules/@s/b".

    Returns:
      The names, outermost first, e.g. ["a", "@s/b"]; empty for a path outside
      node_modules (the root project, a workspace).
    """
    if not path.startswith("node_modules/"):
        return []
    return [name.strip("/") for name in path.split("node_modules/")[1:]]

def npm_repo_name(hub, path):
    """The repository name of the package at `path` of a lock whose hub is `hub`.

    Args:
      hub: the hub repository's name, e.g. "npm".
      path: the package's key in the lock, e.g. "node_modules/@bazel/buildifier".

    Returns:
      e.g. "npm_bazel_buildifier"; a nested package joins its parents' names with "__"
      ("npm_a__b" for "node_modules/a/node_modules/b").
    """
    return hub + "_" + "__".join([_sanitize(name.lstrip("@")) for name in package_names(path)])

def platform_matches(entry, os = NPM_OS, cpu = NPM_CPU):
    """Whether npm installs the package of lock entry `entry` on this os and cpu.

    npm's rule for the `os` and `cpu` lists of a package: a name allows it, "!name"
    forbids it; a list of only exclusions allows every other platform.

    Args:
      entry: the package's entry in the lock.
      os: npm's name of the operating system.
      cpu: npm's name of the architecture.

    Returns:
      True when the package belongs in node_modules on this platform.
    """
    for key, value in (("os", os), ("cpu", cpu)):
        allowed = entry.get(key)
        if not allowed:
            continue
        if "!" + value in allowed:
            return False
        positives = [item for item in allowed if not item.startswith("!")]
        if positives and value not in positives:
            return False
    return True

def _tarball_name(package):
    return package.rpartition("/")[2]

def tarball_path(package, version):
    """The registry path of a package's tarball, e.g. "@s/b/-/b-1.0.0.tgz".

    Args:
      package: the package name, with its scope.
      version: the exact version.

    Returns:
      The path below the registry URL.
    """
    return "{}/-/{}-{}.tgz".format(package, _tarball_name(package), version)

def lock_packages(lock, source, hub):
    """The packages of a package-lock.json to fetch and lay out, or a failure message.

    Args:
      lock: the decoded lock.
      source: how messages name the lock, e.g. its label.
      hub: the hub repository's name; package repositories are named after it.

    Returns:
      (packages, error): packages is a list of structs (path, package, version,
      integrity, repo, dev), sorted by path; error is None, or a message saying what to
      change, in which case packages is empty.
    """
    relock = "relock it with its npm_lock command (or `npm install --package-lock-only --ignore-scripts` next to it)"
    if lock.get("lockfileVersion") != 3:
        return [], "{}: lockfileVersion is {}, not 3; {}".format(source, lock.get("lockfileVersion"), relock)
    packages = []
    repos = {}
    for path, entry in sorted(lock.get("packages", {}).items()):
        if path == "":
            continue  # the project itself
        names = package_names(path)
        if not names:
            return [], "{}: \"{}\" is an npm workspace or a linked package, which this extension does not install; give each service its own package.json and lock".format(source, path)
        if entry.get("link"):
            return [], "{}: {} is a link to a directory (\"link\": true), which this extension does not install; depend on a published version instead".format(source, path)
        if entry.get("inBundle"):
            continue  # shipped inside its parent's tarball
        if not platform_matches(entry):
            continue  # npm would not install it on Linux x86-64 either
        package = entry.get("name", names[-1])  # "name" is set for aliases (npm:pkg@1)
        if "version" not in entry or "integrity" not in entry:
            return [], "{}: {} has no version or integrity hash; {}".format(source, path, relock)
        if not entry["integrity"].startswith("sha512-"):
            return [], "{}: {} is pinned by \"{}\", not a sha512 integrity hash; {}".format(source, path, entry["integrity"].partition("-")[0], relock)
        repo = npm_repo_name(hub, path)
        if repo in repos:
            return [], "{}: {} and {} would both be the repository @{}; rename the hub (npm.lock(name = ...)) or report this clash".format(source, repos[repo], path, repo)
        repos[repo] = path
        packages.append(struct(
            path = path,
            package = package,
            version = entry["version"],
            integrity = entry["integrity"],
            repo = repo,
            dev = bool(entry.get("dev")),
        ))
    return packages, None
