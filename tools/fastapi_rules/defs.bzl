"""Public API of fastapi_rules.

Load everything from here; the files under private/ may change without notice.
"""

load("//tools/fastapi_rules/private:buildifier.bzl", _buildifier_test = "buildifier_test")
load("//tools/fastapi_rules/private:pytest.bzl", _pytest_test = "pytest_test")
load("//tools/fastapi_rules/private:ruff.bzl", _ruff_test = "ruff_test")
load("//tools/fastapi_rules/private:scaffold.bzl", _new_service_command = "new_service_command")
load("//tools/fastapi_rules/private:service.bzl", _fastapi_service = "fastapi_service")
load("//tools/fastapi_rules/private/debian:defs.bzl", _debian_lock = "debian_lock")
load("//tools/fastapi_rules/private/oci:image.bzl", _OciImageInfo = "OciImageInfo", _oci_image = "oci_image")
load("//tools/fastapi_rules/private/oci:load.bzl", _oci_load = "oci_load", _oci_tarball = "oci_tarball")
load("//tools/fastapi_rules/private/oci:push.bzl", _oci_push = "oci_push")
load("//tools/fastapi_rules/private/oci:py_layers.bzl", _py_image_entrypoint = "py_image_entrypoint", _py_image_layers = "py_image_layers")
load("//tools/fastapi_rules/private/oci:rootfs.bzl", _debian_rootfs = "debian_rootfs")
load("//tools/fastapi_rules/private/pypi:defs.bzl", _python_lock = "python_lock")

OciImageInfo = _OciImageInfo
buildifier_test = _buildifier_test
debian_lock = _debian_lock
debian_rootfs = _debian_rootfs
fastapi_service = _fastapi_service
new_service_command = _new_service_command
oci_image = _oci_image
oci_load = _oci_load
oci_push = _oci_push
oci_tarball = _oci_tarball
py_image_entrypoint = _py_image_entrypoint
py_image_layers = _py_image_layers
pytest_test = _pytest_test
python_lock = _python_lock
ruff_test = _ruff_test
