"""Auditors in chromium (issue 10, /revision): the journal verified, its export, and who
read a person's data, searched by CPR number in a POST (never in a URL); axe on each page."""

from __future__ import annotations

import json

import pytest

from support.browser import assert_accessible, screenshot
from support.data import random_cpr, random_name

from .conftest import SignIn
from .test_jail import fill_remand_case

pytestmark = pytest.mark.browser


async def test_auditors_verify_export_and_search_the_access_log_by_cpr(
    sign_in: SignIn,
) -> None:
    jail = await sign_in("arrest")
    cpr = random_cpr()
    await jail.goto(jail.base + "/sager/ny")
    await fill_remand_case(jail, random_name(), cpr)
    await jail.get_by_label("Bekymring for radikalisering", exact=True).check()
    await jail.get_by_label("Koncern Sikkerhed underrettet den", exact=True).fill("2026-11-20")
    await jail.get_by_role("button", name="Indsend").click()
    await jail.wait_for_url("**/sager/*?gemt=indsendt")  # the case page: a read, logged

    page = await sign_in("auditor")
    await page.goto(page.base + "/revision")
    assert "Journalen er intakt" in await page.locator("main").inner_text()
    await assert_accessible(page)
    await screenshot(page, "revision")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Hent eksporten (JSON Lines)").click()
    download = await download_info.value
    first = json.loads((await download.path()).read_text(encoding="utf-8").splitlines()[0])
    assert first  # the bundle's head line, as `ksp journal verify` reads it

    await page.goto(page.base + "/revision/adgangslog")
    await page.get_by_label("CPR-nummer", exact=True).fill("123")
    await page.get_by_role("button", name="Søg").click()
    assert "10 cifre" in await page.locator("#cpr-error").inner_text()
    await page.get_by_label("CPR-nummer", exact=True).fill(cpr)
    await page.get_by_role("button", name="Søg").click()
    results = await page.get_by_role("table").inner_text()
    assert "dev-arrest" in results
    assert "Sagsbehandling" in results
    assert page.url == page.base + "/revision/adgangslog"
    await assert_accessible(page)
    await screenshot(page, "adgangslog")
    for url in page.watch.urls + jail.watch.urls:
        assert cpr not in url
        assert cpr.replace("-", "") not in url
