"""servicekit: what every FastAPI service of the monorepo shares.

from servicekit import ServiceSettings, create_app, requires

router = APIRouter(dependencies=[requires("pricing:read")])
app = create_app(Settings(), name="pricing", title="Pricing", version="1.0.0",
                 routers=[router])
"""

from servicekit.app import Component, create_app
from servicekit.auth import (
    API_KEY_HEADER,
    DevelopmentIdentity,
    Principal,
    PrincipalDep,
    development_identity,
    public,
    requires,
)
from servicekit.brand import TRADING_SYSTEM, Brand
from servicekit.db import PoolDep, PostgresPool, SessionDep, SqlAlchemyDatabase
from servicekit.errors import (
    PROBLEM_TYPE,
    ProblemError,
    problem_response,
    problem_schema,
    validation_problem,
)
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
from servicekit.settings import (
    ApiKeySettings,
    AuthSettings,
    DatabaseSettings,
    RateLimitSettings,
    ServiceSettings,
)

__all__ = [
    "API_KEY_HEADER",
    "PROBLEM_TYPE",
    "TRADING_SYSTEM",
    "ApiKeySettings",
    "AuthSettings",
    "Brand",
    "Component",
    "DatabaseSettings",
    "DecimalAmount",
    "DevelopmentIdentity",
    "FieldError",
    "HealthCheck",
    "HealthReport",
    "Page",
    "PoolDep",
    "PostgresPool",
    "Price",
    "Principal",
    "PrincipalDep",
    "Problem",
    "ProblemError",
    "Quantity",
    "RateLimitSettings",
    "ResourceId",
    "ServiceSettings",
    "SessionDep",
    "SqlAlchemyDatabase",
    "Timestamp",
    "create_app",
    "development_identity",
    "get_logger",
    "problem_response",
    "problem_schema",
    "public",
    "requires",
    "validation_problem",
]
