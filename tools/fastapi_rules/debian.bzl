"""Debian: locked packages (debian_lock) and a root file system layer made from them."""

load("//tools/fastapi_rules/private/debian:defs.bzl", _debian_lock = "debian_lock")
load("//tools/fastapi_rules/private/oci:rootfs.bzl", _debian_rootfs = "debian_rootfs")

debian_lock = _debian_lock
debian_rootfs = _debian_rootfs
