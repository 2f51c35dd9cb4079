"""This repository's service ports."""

load("@fastapi_rules//tools/fastapi_rules:ports.bzl", "port_registry")

PORTS = port_registry(
    fastapi = {
        "quotes": 4150,
    },
    source = "ports.bzl",
)
