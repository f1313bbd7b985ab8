"""The layout every page shares (templates/web/base.html.j2), in chromium with axe-core:
DKFDS served by the service itself, the skip link, the header with the signed-in person,
the development banner, and the pages' headers (CSP without unsafe-inline, no-store)."""

from __future__ import annotations

import httpx
import pytest

from support.browser import ROLE_UNITS, assert_accessible, screenshot
from support.server import Server

from .conftest import SignIn

pytestmark = pytest.mark.browser


async def test_the_sign_in_page_meets_wcag_21_aa(chromium: object, web_server: Server) -> None:
    context = await chromium.new_context()  # type: ignore[attr-defined]
    page = await context.new_page()
    await page.goto(web_server.base_url + "/login")
    assert await page.title() == "Log ind (udvikling) · KSP-samarbejdet"
    await assert_accessible(page)
    await screenshot(page, "log-ind")
    await context.close()


@pytest.mark.parametrize("role", ["arrest", "kif", "participant", "auditor"])
async def test_the_signed_in_home_page_names_the_person_and_meets_wcag_21_aa(
    sign_in: SignIn, role: str
) -> None:
    page = await sign_in(role)
    header = await page.locator("header").inner_text()
    assert ROLE_UNITS[role] in header
    assert "Log ud" in header
    assert await page.locator("main#main-content").count() == 1
    await assert_accessible(page)


async def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(sign_in: SignIn) -> None:
    page = await sign_in("arrest")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Gå til indhold"
    await page.keyboard.press("Enter")
    assert page.url.endswith("#main-content")


async def test_the_development_banner_shows_on_every_page(sign_in: SignIn) -> None:
    page = await sign_in("auditor")
    assert "Udviklingstilstand" in await page.locator("body").inner_text()


def test_dkfds_is_served_by_the_service_itself(web_server: Server) -> None:
    """The stylesheet, its font and the script come from /static, not from a CDN."""
    for path in (
        "/static/dkfds/css/dkfds.min.css",
        "/static/dkfds/js/dkfds.min.js",
        "/static/dkfds/fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2",
        "/static/web/ksp-web.css",
    ):
        assert httpx.get(web_server.base_url + path).status_code == 200, path


def test_pages_are_not_stored_and_allow_no_inline_script_or_style(web_server: Server) -> None:
    page = httpx.get(web_server.base_url + "/login")
    policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert "<style" not in page.text
    assert "<script>" not in page.text


async def test_a_refusal_is_a_danish_page_that_meets_wcag_21_aa(sign_in: SignIn) -> None:
    """A role that may not (403) and a case that is not there (404): Danish sentences that
    say what to do, on the same layout."""
    page = await sign_in("arrest")
    refused = await page.goto(page.base + "/revision")
    assert refused is not None
    assert refused.status == 403
    assert "Din rolle giver ikke adgang" in await page.locator("main").inner_text()
    await assert_accessible(page)
    missing = await page.goto(page.base + "/sager/00000000-0000-4000-8000-000000000000")
    assert missing is not None
    assert missing.status == 404
    assert "Siden findes ikke" in await page.locator("main").inner_text()
