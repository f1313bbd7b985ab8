"""The /schema page and its assets as the service serves them (the browser test renders them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


async def test_the_schema_page_holds_no_inline_script_and_names_only_local_assets(
    client: httpx.AsyncClient,
) -> None:
    """Every script and stylesheet comes from the service; the page runs under script-src 'self'."""
    page = await client.get("/schema")
    assert page.status_code == 200
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts, "the page loads Swagger UI"
    assert all('src="/static/swagger-ui/' in attributes for attributes in scripts)
    assert re.findall(r'(?:href|src)="(?!/)', page.text) == []
    assert "script-src 'self'" in page.text


async def test_the_bundled_swagger_ui_is_the_pinned_version_5(client: httpx.AsyncClient) -> None:
    """Swagger UI 4 cannot read OpenAPI 3.1; the lock file pins 5.x and the service serves it."""
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/swagger-ui-dist"]["version"]
    assert pinned.startswith("5.")
    bundle = await client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200, "run `make install` to copy the Swagger UI assets"
    assert f'"{pinned}"' in bundle.text
    for name in ("swagger-ui.css", "ksp-swagger-init.js", "favicon-32x32.png"):
        assert (await client.get(f"/static/swagger-ui/{name}")).status_code == 200, name


async def test_the_schema_is_openapi_3_1(client: httpx.AsyncClient) -> None:
    """The document the UI renders."""
    schema = await client.get("/schema/openapi.json")
    assert schema.json()["openapi"].startswith("3.1")
