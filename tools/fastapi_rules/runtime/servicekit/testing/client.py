from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI


@asynccontextmanager
async def app_client(app: FastAPI, **kwargs: object) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``app`` in process, its startup and shutdown run."""
    async with LifespanManager(app, startup_timeout=60) as manager:
        # Like a real client, see the 500 the app answers rather than its exception.
        transport = httpx.ASGITransport(
            app=manager.app, client=("203.0.113.7", 40000), raise_app_exceptions=False
        )
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service.test", **kwargs
        ) as client:
            yield client
