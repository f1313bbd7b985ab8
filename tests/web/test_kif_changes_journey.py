"""KiF's forms that change what was decided, in chromium with axe-core on every new page
state (WCAG 2.1 A and AA): a recipient for a notice only (and one refused for want of a key),
moving a meeting (and a move into the past refused), cancelling it (and a cancellation
without a reason refused), and correcting a triage decision (and one without a reason
refused). The same forms work without JavaScript."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from support.browser import ROLE_UNITS, assert_accessible, screenshot
from support.server import Server

from .conftest import SignIn
from .test_meeting_journey import submitted, triage_to_meeting

pytestmark = pytest.mark.browser

MEETING_DAY = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=21)
NOTICE_EMAIL = "besked@kommune-101.example"


async def checked(page: Any, name: str | None = None) -> None:
    await assert_accessible(page)
    if name:
        await screenshot(page, name)


async def main_text(page: Any) -> str:
    return str(await page.locator("main").inner_text())


async def register_notice_recipient(kif: Any, email: str, *, axe: bool = True) -> None:
    """A recipient without a key, refused while "encrypted mail" is chosen, then registered
    for a notice only; the list shows its delivery."""
    await kif.goto(kif.base + "/modtagere")
    await kif.get_by_label("Navn", exact=True).fill("Sagsbehandler uden nøgle")
    await kif.get_by_label("E-mail").fill(email)
    await kif.get_by_label("Myndighed").select_option("municipality")
    await kif.get_by_label("Enhed", exact=True).fill(ROLE_UNITS["participant"])
    await kif.get_by_role("button", name="Opret modtager").click()
    await kif.wait_for_load_state()
    summary = await kif.locator("#error-summary").inner_text()
    assert "Indsæt modtagerens OpenPGP-nøgle eller S/MIME-certifikat" in summary
    assert await kif.locator("#openpgp_key-error").count() == 1
    if axe:
        await checked(kif)
    await kif.get_by_label("Kun en besked uden personoplysninger").check()
    await kif.get_by_role("button", name="Opret modtager").click()
    await kif.wait_for_url(kif.base + "/modtagere")
    row = await kif.locator("tr", has_text=email).inner_text()
    assert "Kun en besked uden personoplysninger" in row
    assert "Ingen nøgle" in row
    if axe:
        await checked(kif, "kif-modtagere")


async def call_meeting(kif: Any, title: str) -> str:
    await kif.goto(kif.base + "/moeder")
    await kif.get_by_label("Titel").fill(title)
    await kif.get_by_label("Kommune").select_option("101")
    await kif.get_by_label("Politikreds").select_option("koebenhavn")
    await kif.get_by_label("Dato").fill(MEETING_DAY.isoformat())
    await kif.get_by_label("Klokkeslæt").fill("10:00")
    await kif.get_by_role("button", name="Indkald mødet").click()
    await kif.wait_for_url(re.compile(r"/moeder/[0-9a-f-]{36}$"))
    return str(kif.url)


async def move_meeting(kif: Any, *, axe: bool = True) -> None:
    """Refused into the past, then moved a day with a new place: SEQUENCE 1."""
    await kif.get_by_label("Dato", exact=True).fill("2020-01-01")
    await kif.get_by_label("Begrundelse for ændringen").fill("Ny dato")
    await kif.get_by_role("button", name="Gem ændringen").click()
    await kif.wait_for_load_state()
    assert "Tidspunktet må ikke ligge i fortiden." in await kif.locator("#date-error").inner_text()
    if axe:
        await checked(kif)
    later = MEETING_DAY + dt.timedelta(days=1)
    await kif.get_by_label("Dato", exact=True).fill(later.isoformat())
    await kif.get_by_label("Klokkeslæt").fill("09:00")
    await kif.get_by_label("Sted").fill("Lokale 2")
    await kif.get_by_role("button", name="Gem ændringen").click()
    await kif.wait_for_url(re.compile(r"\?gemt=flyttet$"))
    main = await main_text(kif)
    assert "Ændringen af mødet er gemt." in main
    assert "kl. 09.00" in main
    assert "Lokale 2" in main
    assert "Invitationens udgave (SEQUENCE): 1." in main
    if axe:
        await checked(kif, "kif-moede-flyttet")


async def cancel_meeting(kif: Any, *, axe: bool = True) -> None:
    await kif.get_by_role("button", name="Aflys mødet").click()
    await kif.wait_for_load_state()
    assert await kif.locator("#cancel-reason-error").count() == 1
    if axe:
        await checked(kif)
    await kif.get_by_label("Begrundelse for aflysningen").fill("Kommunen kan ikke")
    await kif.get_by_role("button", name="Aflys mødet").click()
    await kif.wait_for_url(re.compile(r"\?gemt=aflyst$"))
    main = await main_text(kif)
    assert "Mødet er aflyst." in main
    assert await kif.get_by_role("button", name="Gem ændringen").count() == 0
    if axe:
        await checked(kif)


async def correct_triage(kif: Any, name: str, *, axe: bool = True) -> None:
    """From the inbox's confirmation to the case's page: refused without a reason, then
    corrected to direct contact; the history keeps both decisions."""
    await kif.get_by_role("link", name="rette visiteringen på sagens side").click()
    await kif.wait_for_load_state()
    assert name in await main_text(kif)
    if axe:
        await checked(kif)
    await kif.get_by_label("Direkte kontakt nu (akut)").check()
    await kif.get_by_role("button", name="Gem rettelsen af visiteringen").click()
    await kif.wait_for_load_state()
    summary = await kif.locator("#error-summary").inner_text()
    assert "Skriv en begrundelse for rettelsen af visiteringen." in summary
    if axe:
        await checked(kif)
    await kif.get_by_label("Begrundelse for rettelsen").fill("Borgeren løslades i morgen")
    await kif.get_by_role("button", name="Gem rettelsen af visiteringen").click()
    await kif.wait_for_url(re.compile(r"\?gemt=visiteret$"))
    history = await kif.locator("table", has_text="Begrundelse").first.inner_text()
    assert "Til KSP-møde" in history
    assert "Direkte kontakt (rettelse)" in history
    if axe:
        await checked(kif, "kif-ret-visitering")


async def test_kif_registers_a_notice_recipient_moves_and_cancels_a_meeting_and_corrects_a_triage(
    sign_in: SignIn, web_server: Server
) -> None:
    case = submitted(web_server)
    kif = await sign_in("kif")
    await register_notice_recipient(kif, NOTICE_EMAIL)
    await call_meeting(kif, "KSP-møde der flyttes")
    await move_meeting(kif)
    await cancel_meeting(kif)
    await kif.goto(kif.base + "/indbakke")
    await triage_to_meeting(kif, case["subject"]["name"])
    await correct_triage(kif, case["subject"]["name"])
    await kif.get_by_role("link", name="Sager", exact=True).click()
    await checked(kif)
    assert case["subject"]["name"] in await main_text(kif)


async def test_the_new_forms_work_without_javascript(sign_in: SignIn, web_server: Server) -> None:
    case = submitted(web_server)
    kif = await sign_in("kif", javascript=False)
    await register_notice_recipient(kif, "uden-js@kommune-101.example", axe=False)
    await call_meeting(kif, "KSP-møde uden JavaScript")
    await move_meeting(kif, axe=False)
    await cancel_meeting(kif, axe=False)
    await kif.goto(kif.base + "/indbakke")
    await triage_to_meeting(kif, case["subject"]["name"])
    await correct_triage(kif, case["subject"]["name"], axe=False)
