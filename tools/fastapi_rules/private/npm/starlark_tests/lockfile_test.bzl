"""Unit tests of the npm extension's reading of package-lock.json: repository names,
platforms, tarball paths, and every message a lock fails with."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//tools/fastapi_rules/private/npm:lockfile.bzl", "lock_packages", "npm_repo_name", "package_names", "platform_matches", "tarball_path")
load("//tools/fastapi_rules/private/testing:suite.bzl", "test_suite_of")

_SOURCE = "//services/web:package-lock.json"
_RELOCK = "relock it with its npm_lock command (or `npm install --package-lock-only --ignore-scripts` next to it)"

def _lock(packages, version = 3):
    entries = {"": {"name": "web"}}
    entries.update(packages)
    return {"lockfileVersion": version, "packages": entries}

def _entry(version = "1.0.0", **fields):
    entry = {"integrity": "sha512-" + version, "version": version}
    entry.update(fields)
    return entry

def _names_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, ["a"], package_names("node_modules/a"))
    asserts.equals(env, ["a", "@s/b"], package_names("node_modules/a/node_modules/@s/b"))
    asserts.equals(env, [], package_names(""))
    asserts.equals(env, [], package_names("packages/web"))
    asserts.equals(env, "npm_bazel_buildifier", npm_repo_name("npm", "node_modules/@bazel/buildifier"))
    asserts.equals(env, "web_npm_path_to_regexp", npm_repo_name("web_npm", "node_modules/path-to-regexp"))
    asserts.equals(env, "npm_a__s_b_js", npm_repo_name("npm", "node_modules/a/node_modules/@s/b.js"))
    asserts.equals(env, "@s/b/-/b-1.2.3.tgz", tarball_path("@s/b", "1.2.3"))
    asserts.equals(env, "express/-/express-5.3.0.tgz", tarball_path("express", "5.3.0"))
    return unittest.end(env)

_names_test = unittest.make(_names_test_impl)

def _platform_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.true(env, platform_matches({}))
    asserts.true(env, platform_matches({"cpu": ["x64"], "os": ["linux"]}))
    asserts.true(env, platform_matches({"os": ["!win32"]}))
    asserts.false(env, platform_matches({"os": ["darwin"]}))
    asserts.false(env, platform_matches({"cpu": ["arm64"]}))
    asserts.false(env, platform_matches({"os": ["!linux"]}))
    asserts.false(env, platform_matches({"cpu": ["x64"], "os": ["darwin", "win32"]}))
    return unittest.end(env)

_platform_test = unittest.make(_platform_test_impl)

def _packages_test_impl(ctx):
    env = unittest.begin(ctx)
    packages, error = lock_packages(_lock({
        "node_modules/a": _entry(),
        "node_modules/a/node_modules/b": _entry("2.0.0"),
        # An alias (npm:real@3.0.0) is fetched under its real name.
        "node_modules/alias": _entry("3.0.0", name = "real"),
        "node_modules/bundled": _entry(inBundle = True),
        "node_modules/dev-only": _entry(dev = True),
        "node_modules/mac-only": _entry(os = ["darwin"], optional = True),
    }), _SOURCE, "web_npm")
    asserts.equals(env, None, error)
    asserts.equals(
        env,
        [
            ("node_modules/a", "a", "1.0.0", "web_npm_a", False),
            ("node_modules/a/node_modules/b", "b", "2.0.0", "web_npm_a__b", False),
            ("node_modules/alias", "real", "3.0.0", "web_npm_alias", False),
            ("node_modules/dev-only", "dev-only", "1.0.0", "web_npm_dev_only", True),
        ],
        [(p.path, p.package, p.version, p.repo, p.dev) for p in packages],
    )
    return unittest.end(env)

_packages_test = unittest.make(_packages_test_impl)

def _bad_locks_test_impl(ctx):
    env = unittest.begin(ctx)
    for lock, message in [
        (_lock({}, version = 2), "{}: lockfileVersion is 2, not 3; {}".format(_SOURCE, _RELOCK)),
        (
            _lock({"packages/api": {"version": "1.0.0"}}),
            "{}: \"packages/api\" is an npm workspace or a linked package, which this extension does not install; give each service its own package.json and lock".format(_SOURCE),
        ),
        (
            _lock({"node_modules/local": {"link": True, "resolved": "../local"}}),
            "{}: node_modules/local is a link to a directory (\"link\": true), which this extension does not install; depend on a published version instead".format(_SOURCE),
        ),
        (
            _lock({"node_modules/a": {"version": "1.0.0"}}),
            "{}: node_modules/a has no version or integrity hash; {}".format(_SOURCE, _RELOCK),
        ),
        (
            _lock({"node_modules/a": {"integrity": "sha1-abc", "version": "1.0.0"}}),
            "{}: node_modules/a is pinned by \"sha1\", not a sha512 integrity hash; {}".format(_SOURCE, _RELOCK),
        ),
        (
            _lock({"node_modules/a-b": _entry(), "node_modules/a_b": _entry()}),
            "{}: node_modules/a-b and node_modules/a_b would both be the repository @web_npm_a_b; rename the hub (npm.lock(name = ...)) or report this clash".format(_SOURCE),
        ),
    ]:
        packages, error = lock_packages(lock, _SOURCE, "web_npm")
        asserts.equals(env, message, error)
        asserts.equals(env, [], packages)
    return unittest.end(env)

_bad_locks_test = unittest.make(_bad_locks_test_impl)

def lockfile_test_suite(name):
    """The tests of lockfile.bzl, and a test_suite `name` of them.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """
    test_suite_of(name, {
        "bad_locks": _bad_locks_test,
        "names": _names_test,
        "packages": _packages_test,
        "platform": _platform_test,
    })
