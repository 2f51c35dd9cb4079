"""API documentation pages that work with no network: Swagger UI and ReDoc served from
the fastapi-offline package's copies of their assets, in the company's colours."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

STATIC_PATH = "/_docs"
LOGO_PATH = STATIC_PATH + "/brand/logo.svg"
BRAND = {"primary": "#0b1f3a", "accent": "#f5a623", "font": "Helvetica, Arial, sans-serif"}

_SWAGGER_CSS = f"""
<style>
  .swagger-ui .topbar {{ background: {BRAND["primary"]}; }}
  .swagger-ui .info .title, .swagger-ui .opblock-tag {{ color: {BRAND["primary"]}; }}
  .swagger-ui .btn.execute {{ background: {BRAND["accent"]}; border-color: {BRAND["accent"]}; }}
  body {{ font-family: {BRAND["font"]}; }}
</style>
"""

_REDOC_HTML = """<!DOCTYPE html>
<html>
<head>
  <title>{title}</title>
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="{static}/assets/favicon.png">
  <style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
  <div id="redoc"></div>
  <script src="{static}/assets/redoc.standalone.js"></script>
  <script>Redoc.init({openapi_url}, {options}, document.getElementById("redoc"));</script>
</body>
</html>
"""


def install_docs(app: FastAPI, *, logo_url: str = LOGO_PATH) -> None:
    """Serves /docs and /redoc, and the OpenAPI document with the logo (``x-logo``)."""
    # follow_symlink: under bazel run and bazel test the files are runfiles symlinks.
    assets = files("fastapi_offline") / "static"
    app.mount(
        STATIC_PATH + "/assets",
        StaticFiles(directory=str(assets), follow_symlink=True),
        name="docs-assets",
    )
    brand = files("servicekit") / "static"
    app.mount(
        STATIC_PATH + "/brand",
        StaticFiles(directory=str(brand), follow_symlink=True),
        name="docs-brand",
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
                contact=app.contact,
            )
            schema["info"]["x-logo"] = {"url": logo_url, "altText": app.title}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_PATH}/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PATH}/assets/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PATH}/assets/favicon.png",
        )
        body = bytes(page.body).replace(b"</head>", _SWAGGER_CSS.encode() + b"</head>", 1)
        return HTMLResponse(body)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        options = {
            "theme": {
                "colors": {"primary": {"main": BRAND["primary"]}},
                "typography": {"fontFamily": BRAND["font"]},
                "sidebar": {"backgroundColor": "#f4f6fa"},
            }
        }
        return HTMLResponse(
            _REDOC_HTML.format(
                title=f"{app.title} API",
                static=STATIC_PATH,
                openapi_url=json.dumps(openapi_url),
                options=json.dumps(options),
            )
        )
