"""The targets around a service's image that both service macros make alike."""

load("@rules_python//python:defs.bzl", "py_test")
load("//tools/fastapi_rules/private/oci:load.bzl", "oci_load")
load("//tools/fastapi_rules/private/oci:push.bzl", "oci_push")

_IMAGE_TEST = Label("//tools/fastapi_rules/private/image_test:image_test.py")
_SERVICE_CONTAINER = Label("//tools/fastapi_rules/private/image_test:service_container")
_RUNTIME_TESTING = Label("//tools/fastapi_rules/runtime:testing")

def service_image_targets(name, repo_tag, version, ready_path, push_repository, database_env = None, docs_path = None):
    """`:load`, `:tarball`, `:image_id`, `:image_test` and `:push` of an image.

    Args:
      name: the image, a target of the package (`image`).
      repo_tag: the tag `:load` gives the image, e.g. "localhost/pricing:1.0.0".
      version: the tag `:push` gives it in the registry.
      ready_path: the readiness path the image test waits for.
      push_repository: default HOST/NAME of `:push`.
      database_env: the variable of the database URL, if the service needs one: the image
        test then gives it a throwaway PostgreSQL, and checks the refusal without it.
      docs_path: the API documentation page the image test loads with its assets, if any.
    """

    # Tools that deploy services load every service's image, with this or from its tarball.
    oci_load(name = "load", image = ":" + name, repo_tags = [repo_tag], visibility = ["//visibility:public"])

    native.filegroup(name = "tarball", srcs = [":load"], output_group = "tarball", visibility = ["//visibility:public"])
    native.filegroup(name = "image_id", srcs = [":" + name], output_group = "image_id")
    py_test(
        name = "image_test",
        size = "medium",
        srcs = [_IMAGE_TEST],
        main = _IMAGE_TEST,
        args = [
            "--tarball=$(rootpath :tarball)",
            "--image-id=$(rootpath :image_id)",
            "--repo-tag=" + repo_tag,
            "--ready-path=" + ready_path,
        ] + (["--docs-path=" + docs_path] if docs_path else []) + (
            ["--database-env=" + database_env] if database_env else []
        ),
        data = [":tarball", ":image_id"],
        deps = [_SERVICE_CONTAINER, _RUNTIME_TESTING],
        # Runs the image under podman: --test_tag_filters=-container skips it where there
        # is none.
        tags = ["container", "no-sandbox"],
    )
    oci_push(name = "push", image = ":" + name, repository = push_repository, remote_tags = [version])
