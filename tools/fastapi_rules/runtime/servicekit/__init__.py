"""servicekit: what every FastAPI service of the monorepo shares.

from servicekit import ServiceSettings, create_app

app = create_app(Settings(), name="pricing", title="Pricing", version="1.0.0",
                 routers=[router])
"""

from servicekit.app import Component, create_app
from servicekit.brand import TRADING_SYSTEM, Brand
from servicekit.db import PoolDep, PostgresPool, SessionDep, SqlAlchemyDatabase
from servicekit.errors import PROBLEM_TYPE, problem_response, problem_schema, validation_problem
from servicekit.health import HealthCheck
from servicekit.logs import get_logger
from servicekit.models import (
    DecimalAmount,
    FieldError,
    HealthReport,
    Page,
    Price,
    Problem,
    Quantity,
    ResourceId,
    Timestamp,
)
from servicekit.settings import DatabaseSettings, RateLimitSettings, ServiceSettings

__all__ = [
    "PROBLEM_TYPE",
    "TRADING_SYSTEM",
    "Brand",
    "Component",
    "DatabaseSettings",
    "DecimalAmount",
    "FieldError",
    "HealthCheck",
    "HealthReport",
    "Page",
    "PoolDep",
    "PostgresPool",
    "Price",
    "Problem",
    "Quantity",
    "RateLimitSettings",
    "ResourceId",
    "ServiceSettings",
    "SessionDep",
    "SqlAlchemyDatabase",
    "Timestamp",
    "create_app",
    "get_logger",
    "problem_response",
    "problem_schema",
    "validation_problem",
]
