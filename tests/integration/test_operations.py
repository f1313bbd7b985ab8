"""Operations: /health, /ready, the OpenAPI document and a UI that needs no internet."""

from __future__ import annotations

import re

import httpx
import structlog.testing
from sqlalchemy.ext.asyncio import create_async_engine

from ksp.api.app import create_app
from ksp.settings import Settings


async def test_health_and_ready_answer_without_a_token(client: httpx.AsyncClient) -> None:
    """GET /health is 200 while the process lives; /ready is 200 when the database answers."""
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_ready_is_503_when_the_database_does_not_answer(settings: Settings) -> None:
    """/ready is 200 only when the database answers."""
    dead = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(settings, engine=dead)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
        response = await client.get("/ready")
    await dead.dispose()
    assert response.status_code == 503
    assert response.json()["type"].endswith("/not-ready")


async def test_the_openapi_document_lists_every_route(client: httpx.AsyncClient) -> None:
    """The OpenAPI document is at /schema/openapi.json."""
    document = (await client.get("/schema/openapi.json")).json()
    assert {
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/triage",
        "/api/v1/audit/access-log",
        "/api/v1/audit/access-log/search",
        "/health",
        "/ready",
    } <= set(document["paths"])


async def test_the_schema_ui_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    """The UI under /schema works without internet: every asset is served by the service."""
    page = await client.get("/schema")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), asset
        assert (await client.get(asset)).status_code == 200, asset


async def test_responses_carry_a_request_id(client: httpx.AsyncClient) -> None:
    """A sane incoming X-Request-ID is echoed; otherwise one is made."""
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = await client.get("/health", headers={"X-Request-ID": "bad id;" + "x" * 70})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])


async def test_a_refused_token_gets_a_request_id_and_an_access_line_that_says_401(
    client: httpx.AsyncClient,
) -> None:
    """Authentication fails outside the request middleware; its access line must still
    carry the status the client got, or operators would see 500s that never happened."""
    with structlog.testing.capture_logs() as events:
        refused = await client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["x-request-id"])
    lines = [e for e in events if e["event"] == "request"]
    assert [(line["path"], line["status"]) for line in lines] == [("/api/v1/cases", 401)]
