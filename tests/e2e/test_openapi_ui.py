"""The OpenAPI UI at /schema in a real browser: Swagger UI 5 renders the 3.1 schema, offline.

Debian's chromium drives it (``apt-get install chromium``); Playwright only steers it and never
downloads a browser. Without chromium these tests skip, unless KSP_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from support.browser import CHROMIUM, CHROMIUM_ARGS, browser_missing
from support.server import Server, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    reason = browser_missing()
    if reason:
        if os.environ.get("KSP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KSP_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with running_server(tmp_path_factory.mktemp("ui")) as running:
        yield running


@dataclass(frozen=True)
class Visit:
    """What the page showed and asked for."""

    text: str
    summaries: list[str]
    hosts: set[str]
    errors: list[str]


@pytest.fixture(scope="module")
async def schema_page(server: Server) -> AsyncIterator[Visit]:
    """/schema opened in headless chromium, once rendering has settled."""
    from playwright.async_api import async_playwright  # noqa: PLC0415 - optional dependency

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            hosts: set[str] = set()
            errors: list[str] = []
            page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(server.base_url + "/schema", wait_until="networkidle")
            await page.locator(".opblock-summary").first.wait_for(timeout=20_000)
            summaries = await page.locator(".opblock-summary-description").all_inner_texts()
            yield Visit(await page.inner_text("body"), summaries, hosts, errors)
        finally:
            await browser.close()


async def test_the_schema_page_renders_every_operation(schema_page: Visit) -> None:
    """Swagger UI 5 reads OpenAPI 3.1: the operations are there, no "Unable to render"."""
    assert "Unable to render" not in schema_page.text
    assert "Submit a case" in schema_page.summaries
    assert len(schema_page.summaries) >= 20


async def test_the_schema_page_loads_nothing_from_elsewhere(
    schema_page: Visit, server: Server
) -> None:
    """Offline: every request goes to the service itself, and nothing fails (CSP included)."""
    assert schema_page.hosts == {urlsplit(server.base_url).netloc}
    assert schema_page.errors == []
