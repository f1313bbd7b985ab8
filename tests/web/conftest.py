"""Fixtures of the browser tests of the pages: one `ksp serve` per module, one headless
chromium per module, and ``sign_in(role)`` giving a page signed in through the development
sign-in (each in its own browser context, so its own cookies).

    async def test_something(sign_in: SignIn) -> None:
        page = await sign_in("arrest")
        await page.goto(page.base + "/sager/ny")   # `base` is the server's URL
        await assert_accessible(page)

Every page opened this way is watched (``page.watch``): the tests' teardown fails on a
console error (a CSP violation is one) or a request to another host.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from support.browser import CHROMIUM, CHROMIUM_ARGS, ROLE_BUTTONS, Watch, skip_without_browser
from support.server import Server, running_server, server_env

SignIn = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    skip_without_browser()
    data_dir = tmp_path_factory.mktemp("web")
    env = server_env(data_dir)
    del env["KSP_UNITS_FILE"]  # the shipped units, as a newcomer's `make run` has them
    with running_server(data_dir, env) as running:
        yield running


@pytest.fixture(scope="module")
async def chromium(web_server: Server) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright  # noqa: PLC0415 - optional dependency

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def sign_in(chromium: Any, web_server: Server) -> AsyncIterator[SignIn]:
    """``await sign_in("arrest", javascript=False)``: a new browser context signed in as the
    development identity of that role; the page has ``base`` (the server's URL) and
    ``watch``."""
    contexts: list[Any] = []
    watches: list[Watch] = []

    async def signed_in(role: str, *, javascript: bool = True) -> Any:
        context = await chromium.new_context(java_script_enabled=javascript, locale="da-DK")
        contexts.append(context)
        page = await context.new_page()
        watch = Watch()
        watch.attach(page)
        watches.append(watch)
        page.base = web_server.base_url
        page.watch = watch
        await page.goto(web_server.base_url + "/login")
        await page.get_by_role("button", name=ROLE_BUTTONS[role], exact=True).click()
        await page.wait_for_url(web_server.base_url + "/")
        return page

    yield signed_in
    for context in contexts:
        await context.close()
    own = urlsplit(web_server.base_url).netloc
    for watch in watches:
        assert watch.hosts <= {own}, f"requests to other hosts: {watch.hosts - {own}}"
        assert watch.errors == [], f"console errors: {watch.errors}"
