"""Express services: one express_service() per service, ports from the same port registry
as FastAPI services (its Express range), the same targets, checks and platform contract."""

load("//tools/fastapi_rules/private/service:express.bzl", _express_service = "express_service")

express_service = _express_service
