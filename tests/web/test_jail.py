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
    await page.wait_for_url(re.compile(r"/sager/[0-9a-f-]{36}\?gemt=indsendt$"))
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
    await page.wait_for_url(re.compile(r"/sager/[0-9a-f-]{36}\?gemt=indsendt$"))


async def submitted_case(page: Any) -> str:
    """A remand case with a concern submitted through the form; the case page's URL."""
    await page.goto(page.base + "/sager/ny")
    await fill_remand_case(page, random_name(), random_cpr())
    await page.get_by_label("Bekymring for radikalisering", exact=True).check()
    await page.get_by_label("Koncern Sikkerhed underrettet den", exact=True).fill("2026-11-20")
    await page.get_by_role("button", name="Indsend").click()
    await page.wait_for_url(re.compile(r"/sager/[0-9a-f-]{36}\?gemt=indsendt$"))
    return str(page.url).split("?")[0]


async def test_jail_staff_correct_a_case_with_a_reason(sign_in: SignIn) -> None:
    page = await sign_in("arrest")
    case_url = await submitted_case(page)
    await page.get_by_role("link", name="Ret sagens oplysninger").click()
    await assert_accessible(page)
    await page.get_by_role("button", name="Gem rettelsen").click()  # nothing changed, no reason
    errors = await page.locator("#error-summary").inner_text()
    assert "Skriv mellem 1 og 4000 tegn." in errors or "Ret mindst ét felt" in errors
    await page.get_by_label("Løsladt den", exact=True).fill("2026-11-25")
    await page.get_by_label("Begrundelse", exact=True).fill("Løsladt i går")
    await page.get_by_role("button", name="Gem rettelsen").click()
    await page.wait_for_url(case_url + "?gemt=rettet")
    main = await page.locator("main").inner_text()
    assert "Rettelsen er gemt." in main
    assert "onsdag 25. november 2026" in main
    assert "Løsladt i går" in await page.get_by_role("table").last.inner_text()


async def test_jail_staff_withdraw_a_case_with_a_reason(sign_in: SignIn) -> None:
    page = await sign_in("arrest")
    case_url = await submitted_case(page)
    await page.get_by_role("link", name="Træk sagen tilbage").click()
    await assert_accessible(page)
    await page.get_by_role("button", name="Træk sagen tilbage").click()
    assert "Begrundelse" in await page.locator("#error-summary").inner_text()
    await page.get_by_label("Begrundelse", exact=True).fill("Indsendt ved en fejl")
    await page.get_by_role("button", name="Træk sagen tilbage").click()
    await page.wait_for_url(case_url + "?gemt=trukket")
    assert "Trukket tilbage" in await page.locator("main").inner_text()
    assert await page.get_by_role("link", name="Ret sagens oplysninger").count() == 0


async def test_jail_staff_record_an_exchange_the_notification_and_the_note(
    sign_in: SignIn,
) -> None:
    """Guide 3.3.7: "Den indsatte orienteres som udgangspunkt altid" and "Notatpligt": the
    exchange is an open duty until both are recorded; not telling needs a manager."""
    page = await sign_in("arrest")
    await submitted_case(page)
    await page.get_by_role("link", name="Registrér en udveksling af oplysninger").click()
    await assert_accessible(page)
    await page.get_by_role("button", name="Registrér udvekslingen").click()
    assert "Feltet skal udfyldes." in await page.locator("#error-summary").inner_text()
    await assert_accessible(page)  # a refused group of checkboxes too
    await page.get_by_label("Dato for udvekslingen", exact=True).fill("2026-11-26")
    await page.get_by_label("Kommunen", exact=True).check()
    await page.get_by_label("Hvad blev udvekslet", exact=True).fill("Boligsituation drøftet")
    await page.get_by_role("button", name="Registrér udvekslingen").click()
    await page.wait_for_url(re.compile(r"/udvekslinger/[0-9a-f-]{36}\?gemt=udveksling$"))
    exchange_url = str(page.url).split("?")[0]
    exchange_path = exchange_url.removeprefix(page.base)
    await assert_accessible(page)
    await screenshot(page, "udveksling")

    await page.goto(page.base + "/opgaver")
    duties = await page.locator("main").inner_text()
    assert "Mangler orientering og notat" in duties
    assert await page.locator(f'a[href="{exchange_path}"]').count() == 1
    await assert_accessible(page)
    await screenshot(page, "opgaver")

    await page.goto(exchange_url)
    await page.get_by_role("radio", name="Nej, den indsatte orienteres ikke").check()
    await page.get_by_role("button", name="Registrér orienteringen").click()
    refused = await page.locator("#omission_reason-error").inner_text()
    assert "hvilken leder du har drøftet det med" in refused
    await page.get_by_role("button", name="Registrér notatet").click()  # no choice made
    assert "Vælg, hvor udvekslingen er noteret." in await page.locator("#where-error").inner_text()
    await assert_accessible(page)  # a refused group of radio buttons too
    await page.get_by_role("radio", name="Ja, den indsatte er orienteret").check()
    await page.get_by_label("Orienteret den", exact=True).fill("2026-11-27")
    await page.get_by_label("Hvordan blev den indsatte orienteret", exact=True).fill("Samtale")
    await page.get_by_role("button", name="Registrér orienteringen").click()
    await page.wait_for_url(exchange_url + "?gemt=orientering")
    await page.get_by_role("radio", name="I handleplanen").check()
    await page.get_by_role("button", name="Registrér notatet").click()
    await page.wait_for_url(exchange_url + "?gemt=notat")

    await page.goto(page.base + "/opgaver")
    assert await page.locator(f'a[href="{exchange_path}"]').count() == 0
