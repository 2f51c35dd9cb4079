"""OCI images: build a layout from layers, check its shared libraries, load it into the
caller's container engine, push it with the caller's credentials (rules_oci's names)."""

load("//tools/fastapi_rules/private/oci:image.bzl", _OciImageInfo = "OciImageInfo", _oci_image = "oci_image")
load("//tools/fastapi_rules/private/oci:load.bzl", _oci_load = "oci_load")
load("//tools/fastapi_rules/private/oci:providers.bzl", _OciLayersInfo = "OciLayersInfo")
load("//tools/fastapi_rules/private/oci:push.bzl", _oci_push = "oci_push")

OciImageInfo = _OciImageInfo
OciLayersInfo = _OciLayersInfo
oci_image = _oci_image
oci_load = _oci_load
oci_push = _oci_push
