"""API documentation pages that work with no network: Swagger UI and ReDoc served from
the fastapi-offline package's copies of their assets, under the company's brand.

FastAPI's own Swagger UI page renders no top bar, so a brand could only recolour it: the
pages here are written out, with a header that carries the logo and the brand's name.
"""

from __future__ import annotations

import html
import json
import mimetypes
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from servicekit.brand import TRADING_SYSTEM, Brand
from servicekit.paths import DOCS_ASSETS_PREFIX, DOCS_PATH, OPENAPI_PATH, REDOC_PATH

STATIC_PATH = DOCS_ASSETS_PREFIX
BRAND_PATH = STATIC_PATH + "/brand"
REDOC_BUNDLE_PATH = STATIC_PATH + "/redoc.standalone.js"
# ReDoc's bundle (fastapi-offline's copy too) loads the logo of its "API docs by Redocly"
# link from Redocly's CDN, unconditionally: a failed request and a console error on a
# machine without internet. The bundle is served with that one URL replaced by an empty
# image; nothing else of it changes.
_REDOCLY_LOGO_URL = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_EMPTY_IMAGE = b"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

_STYLE = """
  body {{ margin: 0; font-family: {font}; background: #fff; }}
  .brand-bar {{ display: flex; align-items: center; gap: 16px; padding: 10px 24px;
    background: {primary}; color: #fff; }}
  .brand-bar img {{ height: 36px; display: block; }}
  .brand-bar .service {{ font-size: 18px; font-weight: 600; }}
  .swagger-ui .info .title, .swagger-ui .opblock-tag {{ color: {primary}; }}
  .swagger-ui .btn.execute {{ background: {accent}; border-color: {accent}; color: {primary}; }}
"""

_SWAGGER_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="{favicon}">
  <link rel="stylesheet" href="{static}/assets/swagger-ui.css">
  <style>{style}</style>
</head>
<body>
  <header class="brand-bar">
    <img src="{logo}" alt="{brand}">
    <span class="service">{service} API</span>
  </header>
  <div id="swagger-ui"></div>
  <script src="{static}/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: {openapi_url},
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      showExtensions: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    }});
  </script>
</body>
</html>
"""

_REDOC_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="{favicon}">
  <style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
  <div id="redoc"></div>
  <script src="{redoc_bundle}"></script>
  <script>Redoc.init({openapi_url}, {options}, document.getElementById("redoc"));</script>
</body>
</html>
"""


def _mark_route(app: FastAPI, name: str, mark: Any) -> str:
    """Serves one of the brand's files (read once) at a path that keeps its suffix."""
    suffix = "." + mark.name.rpartition(".")[2]
    path = f"{BRAND_PATH}/{name}{suffix}"
    content = mark.read_bytes()
    media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"

    async def serve(request: Request) -> Response:
        return Response(content, media_type=media_type, headers={"Cache-Control": "max-age=3600"})

    app.add_route(path, serve, include_in_schema=False)
    return path


def install_docs(app: FastAPI, brand: Brand = TRADING_SYSTEM) -> None:
    """Serves /docs and /redoc, and an OpenAPI document titled, marked and linked by ``brand``."""
    # follow_symlink: under bazel run and bazel test the files are runfiles symlinks.
    assets = files("fastapi_offline") / "static"
    redoc_bundle = (
        (assets / "redoc.standalone.js").read_bytes().replace(_REDOCLY_LOGO_URL, _EMPTY_IMAGE)
    )

    async def serve_redoc_bundle(request: Request) -> Response:
        return Response(
            redoc_bundle,
            media_type="text/javascript",
            headers={"Cache-Control": "max-age=3600"},
        )

    app.add_route(REDOC_BUNDLE_PATH, serve_redoc_bundle, include_in_schema=False)
    app.mount(
        STATIC_PATH + "/assets",
        StaticFiles(directory=str(assets), follow_symlink=True),
        name="docs-assets",
    )
    logo = _mark_route(app, "logo", brand.logo)
    favicon = _mark_route(app, "favicon", brand.favicon)
    title = brand.title(app.title)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
                contact=app.contact or brand.contact,
                terms_of_service=app.terms_of_service or brand.terms_of_service,
            )
            schema["info"]["x-logo"] = {
                "url": logo,
                "altText": brand.name,
                "backgroundColor": brand.primary_colour,
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    openapi_url = json.dumps(app.openapi_url or OPENAPI_PATH)
    style = _STYLE.format(font=brand.font, primary=brand.primary_colour, accent=brand.accent_colour)
    swagger_page = _SWAGGER_HTML.format(
        title=html.escape(title + " API"),
        favicon=favicon,
        static=STATIC_PATH,
        style=style,
        logo=logo,
        brand=html.escape(brand.name),
        service=html.escape(app.title),
        openapi_url=openapi_url,
    )
    redoc_options = {
        "theme": {
            "colors": {"primary": {"main": brand.primary_colour}},
            "typography": {"fontFamily": brand.font},
            "sidebar": {"backgroundColor": brand.background_colour},
        }
    }
    redoc_page = _REDOC_HTML.format(
        title=html.escape(title + " API"),
        favicon=favicon,
        redoc_bundle=REDOC_BUNDLE_PATH,
        openapi_url=openapi_url,
        options=json.dumps(redoc_options),
    )

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return HTMLResponse(swagger_page)

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_page)
