"""Deployment: a compose file and Prometheus' configuration generated from the services'
manifests, validated by podman-compose and promtool, and brought up in a test."""

load("//tools/fastapi_rules/private/deploy:deploy.bzl", _compose_deployment = "compose_deployment")

compose_deployment = _compose_deployment
