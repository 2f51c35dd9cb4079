"""Analysis tests of oci_image, oci_load, oci_push and debian_rootfs: every
message their implementations fail with, each on a target that triggers it."""

load("//tools/fastapi_rules/private/oci:image.bzl", "oci_image")
load("//tools/fastapi_rules/private/oci:load.bzl", "oci_load")
load("//tools/fastapi_rules/private/oci:push.bzl", "oci_push")
load("//tools/fastapi_rules/private/oci:rootfs.bzl", "debian_rootfs")
load("//tools/fastapi_rules/private/testing:failure_test.bzl", "failure_test")

_PORT = "{label}: exposed_ports entry \"%s\" is not a port; write it as \"8080\" or \"8080/tcp\" (or /udp)"
_USER = "{label}: user \"%s\" is not USER, UID, USER:GROUP or UID:GID; for the base images' non-root user write \"65532\""
_TAG = "{label}: repo_tags entry \"%s\" has no tag; write it as \"name:tag\", e.g. \"analytics:latest\""
_REPOSITORY = "{label}: repository \"%s\" must be HOST[:PORT]/NAME without scheme or tag; put tags in remote_tags"
_EXCLUDE = "{label}: excludes entry \"%s\" is not a directory or file of the image; write it like \"usr/lib/x86_64-linux-gnu/gconv\""
_NONROOT_DIRECTORY = "{label}: nonroot_directories entry \"%s\" is not a directory of the image; write it like \"var/lib/postgresql\""

def _case(name, rule, message, **attrs):
    # The target cannot build, so it is manual: only its failure_test analyzes it.
    rule(name = name + "_subject", tags = ["manual"], **attrs)
    failure_test(
        name = name,
        size = "small",
        message = message,
        target_under_test = name + "_subject",
    )
    return name

def oci_failures_test_suite(name):
    """Declares a failing target and its failure_test per message, and a test_suite `name`.

    Args:
      name: name of the test_suite; each test is `<name>_<case>`.
    """

    # Inputs the subjects need to get as far as their check; analysis never builds them.
    layer = name + "_layer.tar"
    package = name + "_package_1.0_amd64.deb"
    image = name + "_image"
    native.genrule(name = name + "_layer", outs = [layer], cmd = "touch $@", tags = ["manual"])
    native.genrule(name = name + "_package", outs = [package], cmd = "touch $@", tags = ["manual"])
    oci_image(name = image, tars = [layer], tags = ["manual"])

    tests = [
        # oci_image
        _case(name + "_image_port_not_a_number", oci_image, _PORT % "http", exposed_ports = ["http"], tars = [layer]),
        _case(name + "_image_port_out_of_range", oci_image, _PORT % "70000/tcp", exposed_ports = ["8080", "70000/tcp"], tars = [layer]),
        _case(name + "_image_port_protocol", oci_image, _PORT % "8080/sctp", exposed_ports = ["8080/sctp"], tars = [layer]),
        _case(name + "_image_user_with_space", oci_image, _USER % "non root", user = "non root", tars = [layer]),
        _case(name + "_image_user_empty_name", oci_image, _USER % ":65532", user = ":65532", tars = [layer]),
        _case(name + "_image_no_layers", oci_image, "{label}: an image needs a base or at least one tar in tars"),
        # A registry's port is no tag.
        _case(name + "_load_no_tag_at_all", oci_load, _TAG % "analytics", image = image, repo_tags = ["analytics"]),
        _case(name + "_load_no_tag", oci_load, _TAG % "localhost:5000/analytics", image = image, repo_tags = ["analytics:1.0", "localhost:5000/analytics"]),
        # oci_push
        _case(name + "_push_scheme", oci_push, _REPOSITORY % "http://localhost:5000/analytics", image = image, repository = "http://localhost:5000/analytics"),
        _case(name + "_push_tag", oci_push, _REPOSITORY % "localhost:5000/analytics:1.0", image = image, repository = "localhost:5000/analytics:1.0"),
        # debian_rootfs
        _case(name + "_rootfs_no_packages", debian_rootfs, "{label}: packages is empty; give the .deb files, e.g. packages = \"@debian//:packages\"", packages = []),
        _case(name + "_rootfs_exclude_root", debian_rootfs, _EXCLUDE % "/", packages = [package], excludes = ["/"]),
        _case(name + "_rootfs_exclude_empty", debian_rootfs, _EXCLUDE % "", packages = [package], excludes = [""]),
        _case(name + "_rootfs_exclude_parent", debian_rootfs, _EXCLUDE % "usr/../etc", packages = [package], excludes = ["usr/lib/x86_64-linux-gnu/gconv", "usr/../etc"]),
        _case(name + "_rootfs_nonroot_directory_root", debian_rootfs, _NONROOT_DIRECTORY % "/", packages = [package], nonroot_directories = ["/"]),
        _case(name + "_rootfs_nonroot_directory_parent", debian_rootfs, _NONROOT_DIRECTORY % "var/../etc", packages = [package], nonroot_directories = ["var/lib/postgresql", "var/../etc"]),
    ]
    native.test_suite(name = name, tests = tests)
