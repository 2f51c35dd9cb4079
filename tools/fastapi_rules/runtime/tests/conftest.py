from collections.abc import AsyncIterator

import httpx
import pytest
from servicekit.testing import app_client

from tools.fastapi_rules.runtime.tests.sample_app import Settings, build


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(build(Settings(log_json=True))) as client:
        yield client
