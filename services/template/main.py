"""The ASGI app: fastapi_service(app = "main:app") serves it."""

from servicekit import create_app

from .api import router
from .settings import Settings

# Name, title, version and description come from the BUILD file's fastapi_service().
app = create_app(Settings(), routers=[router])
