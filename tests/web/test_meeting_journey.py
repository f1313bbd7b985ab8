"""KiF's and a participant's journeys in chromium, with axe-core on every page (WCAG 2.1 A
and AA): KiF triages, creates a meeting, adds a participant, builds two versions, opens the
diff, circulates through a real SMTP server on loopback and sees the delivery; the
participant reads the version circulated to their unit and proposes a citizen."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ksp.mail.pgpmime import read_encrypted_message
from support.browser import ROLE_UNITS, assert_accessible, screenshot, skip_without_browser
from support.data import case_body
from support.keys import LONG_AGO, KeyMaker
from support.server import Server, running_server, server_env
from support.smtp import SmtpServer

from .conftest import SignIn

pytestmark = pytest.mark.browser

PARTICIPANT_EMAIL = "deltager@kommune-101.example"  # the development participant's e-mail
KIF = ROLE_UNITS["kif"]
MEETING_DAY = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[Server]:
    """`ksp serve` delivering its outbox (in process, polled often) to the loopback SMTP."""
    skip_without_browser()
    data_dir = tmp_path_factory.mktemp("web-kif")
    env = server_env(data_dir) | smtp.env() | {"KSP_OUTBOX_POLL_MS": "200"}
    with running_server(data_dir, env) as running:
        yield running


@pytest.fixture(scope="module")
def recipient_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyMaker]:
    with KeyMaker(tmp_path_factory.mktemp("recipient-keys")) as keys:
        yield keys


def submitted(server: Server, **changes: Any) -> dict[str, Any]:
    """A case the jail submitted (through the API; the jail's pages are another journey)."""
    body = case_body(KIF, **changes)
    token = server.token("arrest", ROLE_UNITS["arrest"])
    made = httpx.post(
        server.base_url + "/api/v1/cases",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return body


async def checked(page: Any, name: str | None = None) -> None:
    """The page meets WCAG 2.1 A/AA (and, named, is a README screenshot)."""
    await assert_accessible(page)
    if name:
        await screenshot(page, name)


async def triage_to_meeting(page: Any, name: str) -> None:
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile(name)))
    await section.get_by_label("Til KSP-møde").check()
    await section.get_by_role("button", name="Gem visitering").click()
    await page.wait_for_url(re.compile(r"/indbakke\?visiteret="))


async def new_version(page: Any, name: str, reason: str) -> None:
    await page.get_by_label(f"Tilføj {name}").check()
    await page.get_by_label("Begrundelse for ændringen").fill(reason)
    await page.get_by_role("button", name="Gem ny version").click()
    await page.wait_for_load_state()


async def register_participant(kif: Any, keys: KeyMaker) -> str:
    """The development participant as a recipient, with a key of its own; its fingerprint."""
    await kif.goto(kif.base + "/modtagere")
    await checked(kif)
    fingerprint = keys.make(f"Deltager <{PARTICIPANT_EMAIL}>", at=LONG_AGO)
    await kif.get_by_label("Navn", exact=True).fill("Kommunal deltager")
    await kif.get_by_label("E-mail").fill(PARTICIPANT_EMAIL)
    await kif.get_by_label("Myndighed").select_option("municipality")
    await kif.get_by_label("Enhed", exact=True).fill(ROLE_UNITS["participant"])
    await kif.get_by_label("OpenPGP-nøgle (ASCII armor)").fill(keys.public(fingerprint))
    await kif.get_by_role("button", name="Opret modtager").click()
    await kif.wait_for_url(kif.base + "/modtagere")
    assert fingerprint in await kif.locator("main").inner_text()
    return fingerprint


async def call_meeting_with_participant(kif: Any) -> str:
    """A meeting called through the form, with the participant added; its URL."""
    await kif.goto(kif.base + "/moeder")
    await checked(kif)
    await kif.get_by_label("Titel").fill("KSP-møde Indre By")
    await kif.get_by_label("Kommune").select_option("101")
    await kif.get_by_label("Politikreds").select_option("koebenhavn")
    await kif.get_by_label("Dato").fill(MEETING_DAY.isoformat())
    await kif.get_by_label("Klokkeslæt").fill("10:00")
    await kif.get_by_role("button", name="Indkald mødet").click()
    await kif.wait_for_url(re.compile(r"/moeder/[0-9a-f-]{36}$"))
    meeting_url = kif.url
    assert "kl. 10.00" in await kif.locator("main").inner_text()  # Danish, Copenhagen time
    await kif.get_by_label("Tilføj en deltager").select_option(
        label=f"Kommunal deltager ({PARTICIPANT_EMAIL}, {ROLE_UNITS['participant']})"
    )
    await kif.get_by_role("button", name="Tilføj deltager").click()
    await kif.wait_for_url(meeting_url + "#deltagere")
    assert PARTICIPANT_EMAIL in await kif.locator("main").inner_text()
    await checked(kif, "kif-moede")
    return str(meeting_url)


async def build_two_versions_and_diff(kif: Any, meeting_url: str, first: Any, second: Any) -> None:
    await kif.goto(meeting_url + "/liste")
    await checked(kif)
    await new_version(kif, first["subject"]["name"], "Første udkast")
    await new_version(kif, second["subject"]["name"], "Tilføjet efter visitering")
    main = await kif.locator("main").inner_text()
    assert "Seneste version: version 2" in main
    await checked(kif, "kif-liste")
    await kif.get_by_role("button", name="Vis forskellen").click()
    await kif.wait_for_url(re.compile(r"/forskel\?fra=1&til=2"))
    added = await kif.locator("table", has_text="Tilføjet i version 2").inner_text()
    assert second["subject"]["name"] in added
    assert first["subject"]["name"] not in added
    await checked(kif, "kif-forskel")


async def circulate_and_see_delivery(
    kif: Any, meeting_url: str, smtp: SmtpServer, keys: KeyMaker, fingerprint: str, listed: Any
) -> None:
    await kif.goto(meeting_url + "/rundsendelse")
    keys_table = await kif.locator("table", has_text="før afsendelse").inner_text()
    assert "Gyldig" in keys_table
    assert fingerprint in keys_table
    await checked(kif)
    await kif.get_by_role("button", name="Rundsend version 2").click()
    await kif.wait_for_url(re.compile(r"/rundsendelse#levering$"))
    delivery = kif.locator("table", has_text="rundsendt").locator("tbody td").nth(1)
    for _ in range(100):
        if await delivery.inner_text() == "Sendt":
            break
        await kif.wait_for_timeout(200)
        await kif.reload()
    assert await delivery.inner_text() == "Sendt"  # the message's status, not "I kø"
    await checked(kif, "kif-rundsendelse")
    (message,) = [m for m in smtp.handler.messages if PARTICIPANT_EMAIL in m.recipients]
    _, armour = read_encrypted_message(message.data)
    assert keys.decrypt(armour).ok  # encrypted to the participant's key
    assert listed["subject"]["name"].encode() not in message.data


async def participant_reads_and_proposes(participant: Any, listed: Any) -> None:
    await participant.goto(participant.base + "/moeder")
    await checked(participant)
    await participant.get_by_role("link", name="KSP-møde Indre By").click()
    await checked(participant, "deltager-moede")
    await participant.get_by_role("link", name=re.compile("Version 2")).click()
    assert listed["subject"]["name"] in await participant.locator("main").inner_text()
    await checked(participant)
    await participant.go_back()
    await participant.get_by_role("link", name="Foreslå en borger til mødet").click()
    await checked(participant)
    await participant.get_by_label("Navn", exact=True).fill("Søren Ærø Aïcha")
    await participant.get_by_label("CPR-nummer").fill("010190-1234")
    await participant.get_by_label("Dømt (løsladt fra institution)").check()
    await participant.get_by_label("Årsag til bekymring").fill("Kommunen er bekymret")
    await participant.get_by_label("Indsat siden").fill("2026-10-01")
    await participant.get_by_role("button", name="Indsend").click()
    await participant.wait_for_url(re.compile(r"\?foreslaaet=1$"))
    assert "Borgeren er foreslået" in await participant.locator("main").inner_text()
    await checked(participant)


async def test_kif_triages_calls_builds_diffs_and_circulates_then_a_participant_proposes(
    sign_in: SignIn, web_server: Server, smtp: SmtpServer, recipient_keys: KeyMaker
) -> None:
    first, second = submitted(web_server), submitted(web_server)
    kif = await sign_in("kif")

    await kif.goto(kif.base + "/indbakke")
    assert first["subject"]["name"] in await kif.locator("main").inner_text()
    await checked(kif, "kif-visitering")
    await triage_to_meeting(kif, first["subject"]["name"])
    await checked(kif)
    await triage_to_meeting(kif, second["subject"]["name"])
    fingerprint = await register_participant(kif, recipient_keys)
    meeting_url = await call_meeting_with_participant(kif)
    await build_two_versions_and_diff(kif, meeting_url, first, second)
    await circulate_and_see_delivery(kif, meeting_url, smtp, recipient_keys, fingerprint, second)
    await participant_reads_and_proposes(await sign_in("participant"), second)
    await kif.goto(kif.base + "/indbakke")
    assert "Søren Ærø Aïcha" in await kif.locator("main").inner_text()


async def test_triage_works_without_javascript_and_a_rejection_needs_a_reason(
    sign_in: SignIn, web_server: Server
) -> None:
    case = submitted(web_server)
    kif = await sign_in("kif", javascript=False)
    await kif.goto(kif.base + "/indbakke")
    name = case["subject"]["name"]
    section = kif.locator("section", has=kif.get_by_role("heading", name=re.compile(name)))
    await section.get_by_label("Afvis").check()
    await section.get_by_role("button", name="Gem visitering").click()
    refused = kif.locator("section", has=kif.get_by_role("heading", name=re.compile(name)))
    assert "Skriv en begrundelse, når sagen afvises." in await refused.inner_text()
    await refused.get_by_label("Begrundelse").fill("Hører ikke under KSP")
    await refused.get_by_role("button", name="Gem visitering").click()
    await kif.wait_for_url(re.compile(r"/indbakke\?visiteret="))
    assert name not in await kif.locator("main").inner_text()
