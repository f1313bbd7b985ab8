"""The OpenAPI UI at ``/schema``: Swagger UI 5 (reads OpenAPI 3.1), served by the service.

The assets come from the npm package ``swagger-ui-dist`` pinned in ``package-lock.json``;
``make install`` copies them into ``static/swagger-ui``. Nothing is loaded from elsewhere, and
the page holds no inline script: it runs under ``script-src 'self'``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

__all__ = ["ASSETS_PATH", "SwaggerUiPlugin", "swagger_assets_router"]

ASSETS_PATH = "/static/swagger-ui"
_STATIC = Path(__file__).resolve().parent / "static"
VENDORED = _STATIC / "swagger-ui"  # copied from node_modules/swagger-ui-dist by `make install`
OWN = _STATIC / "ui"  # the page's own start script, kept in git

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'"
)


class SwaggerUiPlugin(OpenAPIRenderPlugin):
    """Swagger UI fetching the schema from ``/schema/openapi.json``."""

    def __init__(self, *, path: list[str]) -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec_url = escape(self.get_openapi_json_route(request))
        page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec-url="{spec_url}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/ksp-swagger-init.js"></script>
</body>
</html>
"""
        return page.encode()


def swagger_assets_router() -> Router:
    """The vendored Swagger UI files and the page's start script, under ``ASSETS_PATH``."""
    return create_static_files_router(
        path=ASSETS_PATH, directories=[VENDORED, OWN], include_in_schema=False
    )
