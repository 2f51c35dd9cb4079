"""Everything of fastapi_rules in one file, for convenience: each concept has its own
public file (oci.bzl, python.bzl, node.bzl, debian.bzl, lint.bzl, service.bzl, express.bzl,
deploy.bzl), and the files under private/ may change without notice."""

load(":debian.bzl", _debian_lock = "debian_lock", _debian_rootfs = "debian_rootfs")
load(":deploy.bzl", _compose_deployment = "compose_deployment")
load(":express.bzl", _express_service = "express_service")
load(":lint.bzl", _buildifier_test = "buildifier_test", _eslint_test = "eslint_test", _ruff_test = "ruff_test")
load(":node.bzl", _NodeBinaryInfo = "NodeBinaryInfo", _NpmNodeModulesInfo = "NpmNodeModulesInfo", _node_binary = "node_binary", _node_image_entrypoint = "node_image_entrypoint", _node_image_layer = "node_image_layer", _node_test = "node_test", _npm_lock = "npm_lock", _npm_node_modules = "npm_node_modules")
load(":oci.bzl", _OciImageInfo = "OciImageInfo", _OciLayersInfo = "OciLayersInfo", _oci_image = "oci_image", _oci_load = "oci_load", _oci_push = "oci_push")
load(":python.bzl", _py_image_entrypoint = "py_image_entrypoint", _py_image_layer = "py_image_layer", _pytest_test = "pytest_test", _python_lock = "python_lock", _python_venv = "python_venv")
load(":service.bzl", _fastapi_service = "fastapi_service", _new_service_command = "new_service_command", _port_registry = "port_registry", _services_launcher = "services_launcher")

NodeBinaryInfo = _NodeBinaryInfo
NpmNodeModulesInfo = _NpmNodeModulesInfo
OciImageInfo = _OciImageInfo
OciLayersInfo = _OciLayersInfo
buildifier_test = _buildifier_test
compose_deployment = _compose_deployment
debian_lock = _debian_lock
debian_rootfs = _debian_rootfs
eslint_test = _eslint_test
express_service = _express_service
fastapi_service = _fastapi_service
new_service_command = _new_service_command
node_binary = _node_binary
node_image_entrypoint = _node_image_entrypoint
node_image_layer = _node_image_layer
node_test = _node_test
npm_lock = _npm_lock
npm_node_modules = _npm_node_modules
oci_image = _oci_image
oci_load = _oci_load
oci_push = _oci_push
port_registry = _port_registry
py_image_entrypoint = _py_image_entrypoint
py_image_layer = _py_image_layer
pytest_test = _pytest_test
python_lock = _python_lock
python_venv = _python_venv
ruff_test = _ruff_test
services_launcher = _services_launcher
