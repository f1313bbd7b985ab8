"""Jail staff in chromium (issue 10): submit a case at /sager/ny with the contract's labels,
the remand rule refused in Danish next to the field and in the summary with nothing lost,
then submitted right; their unit's cases; axe-core on every page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from support.browser import assert_accessible, screenshot
from support.data import random_cpr, random_name

from .conftest import SignIn

pytestmark = pytest.mark.browser

CONTRACT_LABELS = [
    "Navn",
    "CPR-nummer",
    "Status",
    "Bekymring for radikalisering",
    "Koncern Sikkerhed underrettet den",
    "Årsag til bekymring",
    "Kommune",
    "Politikreds",
    "KiF-afdeling",
    "Indsat siden",
    "Løsladt den",
]
REMAND_SENTENCE = "En varetægtsarrestant må kun indstilles til KSP"


async def fill_remand_case(page: Any, name: str, cpr: str) -> None:
    """The case form filled as a remand case, without the radicalisation concern."""
    await page.get_by_label("Navn", exact=True).fill(name)
    await page.get_by_label("CPR-nummer", exact=True).fill(cpr)
    await page.get_by_role("radio", name="Varetægtsarrestant").check()
    await page.get_by_label("Årsag til bekymring", exact=True).fill("Udtalelser om vold")
    await page.get_by_label("Kommune", exact=True).select_option(label="København")
    await page.get_by_label("Politikreds", exact=True).select_option(label="Københavns Politi")
    await page.get_by_label("KiF-afdeling", exact=True).select_option(
        label="Kriminalforsorgen i Frihed, Hovedstaden"
    )
    await page.get_by_label("Indsat siden", exact=True).fill("2026-10-01")


async def test_the_case_form_carries_exactly_the_contracts_labels(sign_in: SignIn) -> None:
    page = await sign_in("arrest")
    await page.goto(page.base + "/sager/ny")
    shown = [
        text.strip() for text in await page.locator("main label, main legend").all_inner_texts()
    ]
    for label in CONTRACT_LABELS:
        assert label in shown, label
    assert await page.get_by_role("button", name="Indsend", exact=True).count() == 1
    await assert_accessible(page)


async def test_the_remand_rule_is_explained_on_the_form_before_it_is_failed(
    sign_in: SignIn,
) -> None:
    page = await sign_in("arrest")
    await page.goto(page.base + "/sager/ny")
    text = await page.locator("main").inner_text()
    assert "kun udveksles i KSP, når der er en bekymring for radikalisering" in text
    assert "3.3.7" in text


async def test_a_remand_case_without_concern_is_refused_in_danish_then_submitted_right(
    sign_in: SignIn,
) -> None:
    """Guide 3.3.7: "varetægtsarrestanter ... kun i KSP-regi, hvis der er bekymring for
    radikalisering". Refused next to the field and in the summary; nothing typed is lost;
    the CPR number never reaches a URL."""
    page = await sign_in("arrest")
    name, cpr = random_name(), random_cpr()
    await page.goto(page.base + "/sager/ny")
    await assert_accessible(page)
    await screenshot(page, "ny-sag")
    await fill_remand_case(page, name, cpr)
    await page.get_by_role("button", name="Indsend").click()
    await page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert REMAND_SENTENCE in await summary.inner_text()
    field = page.locator("#radicalisation_concern-error")
    assert REMAND_SENTENCE in await field.inner_text()
    assert await page.get_by_label("Navn", exact=True).input_value() == name
    assert await page.get_by_label("CPR-nummer", exact=True).input_value() == cpr
    assert await page.get_by_role("radio", name="Varetægtsarrestant").is_checked()
    assert await page.get_by_label("Indsat siden", exact=True).input_value() == "2026-10-01"
    assert page.url == page.base + "/sager/ny"
    await assert_accessible(page)
    await screenshot(page, "ny-sag-afvist")

    await page.get_by_label("Bekymring for radikalisering", exact=True).check()
    await page.get_by_label("Koncern Sikkerhed underrettet den", exact=True).fill("2026-11-20")
    await page.get_by_role("button", name="Indsend").click()
    await page.wait_for_url(re.compile(r"/sager/[0-9a-f-]{36}\?indsendt=1$"))
    assert "Sagen er indsendt" in await page.locator("main").inner_text()
    assert await page.locator("h1").inner_text() == name
    await assert_accessible(page)
    await screenshot(page, "sag")

    await page.goto(page.base + "/sager")
    assert name in await page.locator("table").inner_text()
    await assert_accessible(page)
    await screenshot(page, "sager")
    digits = cpr.replace("-", "")
    for url in page.watch.urls:
        assert cpr not in url
        assert digits not in url
        assert name.split()[-1] not in url


async def test_the_case_form_works_without_javascript(sign_in: SignIn) -> None:
    page = await sign_in("arrest", javascript=False)
    name, cpr = random_name(), random_cpr()
    await page.goto(page.base + "/sager/ny")
    await fill_remand_case(page, name, cpr)
    await page.get_by_role("button", name="Indsend").click()
    await page.wait_for_load_state()
    assert REMAND_SENTENCE in await page.locator("#error-summary").inner_text()
    await page.get_by_label("Bekymring for radikalisering", exact=True).check()
    await page.get_by_label("Koncern Sikkerhed underrettet den", exact=True).fill("2026-11-20")
    await page.get_by_role("button", name="Indsend").click()
    await page.wait_for_url(re.compile(r"/sager/[0-9a-f-]{36}\?indsendt=1$"))
