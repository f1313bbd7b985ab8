"""The KiF and participant pages over HTTP (the browser tests walk the same journey in
chromium): triage, a meeting with participants, two list versions and their diff,
circulation with each key's status before and each message's delivery after, and a
participant's proposal; every read of personal data access-logged with the API's purpose."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import Litestar

from support.data import Units, case_body
from support.flows import Auth, access_log
from support.keys import LONG_AGO, KeyMaker
from support.web_session import Browser, signed_in

MEETING_FORM = {
    "title": "KSP-møde Indre By",
    "municipality_code": "101",
    "police_district": "koebenhavn",
    "date": "2026-12-10",
    "time": "10:00",
}


async def submitted_case(client: httpx.AsyncClient, auth: Auth, units: Units) -> dict[str, str]:
    body = case_body(units.kif)
    made = await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
    assert made.status_code == 201, made.text
    return {"id": made.json()["id"], "name": body["subject"]["name"], "cpr": body["subject"]["cpr"]}


def location_id(response: httpx.Response, prefix: str) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(prefix + r"([0-9a-f-]{36}).*", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


async def meeting_with_participant(
    kif: Browser, units: Units, keys: KeyMaker, email: str | None = None
) -> tuple[str, str]:
    """A meeting made through the pages, with one registered participant of
    ``units.participant``; (meeting id, participant e-mail)."""
    meeting = location_id(await kif.post("/moeder", MEETING_FORM), "/moeder/")
    email = email or f"{units.participant}@example.dk"
    registered = await kif.post(
        "/modtagere",
        {
            "name": "Kommunal deltager",
            "email": email,
            "agency": "municipality",
            "unit": units.participant,
            "openpgp_key": keys.public(keys.make(f"D <{email}>", at=LONG_AGO)),
        },
    )
    assert registered.status_code == 303, registered.text
    recipients = (await kif.get("/modtagere")).text
    recipient_id = re.search(r'action="/modtagere/([0-9a-f-]{36})/udtraed"', recipients)
    assert recipient_id, "the new recipient is listed with its retire button"
    added = await kif.post(f"/moeder/{meeting}/deltagere", {"recipient_id": recipient_id[1]})
    assert added.status_code == 303, added.text
    return meeting, email


async def triaged(kif: Browser, case_id: str) -> None:
    done = await kif.post(f"/indbakke/{case_id}", {"decision": "meeting"})
    assert done.status_code == 303, done.text


async def test_kif_triages_builds_two_versions_diffs_and_circulates_through_the_pages(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    first, second = (
        await submitted_case(client, auth, units),
        await submitted_case(client, auth, units),
    )
    inbox = await kif.get("/indbakke")
    assert inbox.status_code == 200
    assert inbox.headers["cache-control"] == "no-store"
    assert first["name"] in inbox.text
    assert first["cpr"] in inbox.text
    await triaged(kif, first["id"])
    await triaged(kif, second["id"])
    assert first["name"] not in (await kif.get("/indbakke")).text

    meeting, email = await meeting_with_participant(kif, units, keys)
    page = (await kif.get(f"/moeder/{meeting}")).text
    assert "torsdag 10. december 2026 kl. 10.00" in page  # Danish, Europe/Copenhagen
    assert email in page
    assert "Gyldig" in page

    builder = (await kif.get(f"/moeder/{meeting}/liste")).text
    assert first["name"] in builder
    assert second["name"] in builder
    v1 = await kif.post(
        f"/moeder/{meeting}/liste",
        {"add": first["id"], "reason": "Første udkast", "base_version": "0"},
    )
    assert v1.status_code == 303, v1.text
    v2 = await kif.post(
        f"/moeder/{meeting}/liste", {"add": second["id"], "reason": "Tilføjet", "base_version": "1"}
    )
    assert v2.status_code == 303, v2.text
    builder = (await kif.get(f"/moeder/{meeting}/liste")).text
    assert "Seneste version: version 2" in builder
    assert "Første udkast" in builder

    diff = await kif.get(f"/moeder/{meeting}/forskel", params={"fra": 1, "til": 2})
    assert diff.status_code == 200
    added = diff.text.split("<h2>Tilføjet</h2>")[1].split("<h2>Fjernet</h2>")[0]
    assert second["name"] in added
    assert first["name"] not in added

    before = (await kif.get(f"/moeder/{meeting}/rundsendelse")).text
    assert "Status for hver deltagers nøgle før afsendelse" in before
    assert "Gyldig" in before
    sent = await kif.post(f"/moeder/{meeting}/rundsendelse", {"version": "2"})
    assert sent.status_code == 303, sent.text
    assert "I kø" in (await kif.get(f"/moeder/{meeting}/rundsendelse")).text
    while await app.state.outbox_worker.run_once():
        pass
    after = (await kif.get(f"/moeder/{meeting}/rundsendelse")).text
    delivery = after.split('id="levering"')[1]
    assert email in delivery
    assert "Sendt" in delivery

    rows = await access_log(client, auth("auditor", units.auditor))
    mine = [r for r in rows if r["unit"] == units.kif]
    purposes = {(r["resource"], r["purpose"]) for r in mine}
    assert ("cases", "triage") in purposes  # the inbox
    assert ("document-version", "meeting-preparation") in purposes  # the builder
    assert ("document-diff", "meeting-preparation") in purposes
    assert ("circulation", "circulation") in purposes


async def test_a_list_change_on_a_stale_version_says_in_danish_to_reload_and_writes_nothing(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    case = await submitted_case(client, auth, units)
    await triaged(kif, case["id"])
    meeting = location_id(await kif.post("/moeder", MEETING_FORM), "/moeder/")
    made = await kif.post(
        f"/moeder/{meeting}/liste", {"add": case["id"], "reason": "Udkast", "base_version": "0"}
    )
    assert made.status_code == 303
    stale = await kif.post(
        f"/moeder/{meeting}/liste", {"remove": case["id"], "reason": "Væk", "base_version": "0"}
    )
    assert stale.status_code == 409
    assert "Der er kommet en nyere version af KSP-listen" in stale.text
    assert "Seneste version: version 1" in stale.text


async def test_a_refused_meeting_form_shows_danish_messages_next_to_its_fields(
    app: Litestar, client: httpx.AsyncClient, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    refused = await kif.post("/moeder", {**MEETING_FORM, "police_district": "fyn", "title": ""})
    assert refused.status_code == 422
    assert 'id="title-error"' in refused.text
    assert "Skriv mellem 1 og 200 tegn." in refused.text
    assert 'id="police_district-error"' in refused.text
    assert "Politikredsen dækker ikke kommunen" in refused.text
    untimed = await kif.post("/moeder", {**MEETING_FORM, "time": ""})
    assert untimed.status_code == 422
    assert 'id="time-error"' in untimed.text
    assert "KSP-møde Indre By" in untimed.text  # what was typed is kept


async def test_circulating_to_a_meeting_without_participants_is_refused_in_danish(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    case = await submitted_case(client, auth, units)
    await triaged(kif, case["id"])
    meeting = location_id(await kif.post("/moeder", MEETING_FORM), "/moeder/")
    await kif.post(
        f"/moeder/{meeting}/liste", {"add": case["id"], "reason": "U", "base_version": "0"}
    )
    refused = await kif.post(f"/moeder/{meeting}/rundsendelse", {"version": "1"})
    assert refused.status_code == 422
    assert "Mødet har ingen deltagere endnu" in refused.text


async def test_a_participant_proposes_a_citizen_with_the_meetings_facts_guide_3_3_7(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Guide 3.3.7: participants "supplement the list"; the municipality, police district and
    KiF unit come from the meeting, and the proposal reaches KiF's inbox."""
    kif = await signed_in(app, client, "kif", units.kif)
    meeting, email = await meeting_with_participant(kif, units, keys)
    participant = await signed_in(app, client, "participant", units.participant, email)
    assert "KSP-møde Indre By" in (await participant.get("/moeder")).text
    form = (await participant.get(f"/moeder/{meeting}/foreslaa")).text
    for label in ("Navn", "CPR-nummer", "Status", "Årsag til bekymring", "Indsat siden"):
        assert f">{label}</" in form
    key = re.search(r'name="form_key" value="([^"]+)"', form)
    assert key
    proposal = {
        "form_key": key[1],
        "name": "Hemmelig Testperson",
        "cpr": "010190-1234",
        "custody": "remand",
        "concern": "Bekymring set af kommunen",
        "detained_since": "2026-10-01",
    }
    refused = await participant.post(f"/moeder/{meeting}/foreslaa", proposal)
    assert refused.status_code == 422  # remand without a radicalisation concern
    assert "En varetægtsarrestant må kun indstilles til KSP" in refused.text
    proposal |= {"custody": "convicted"}
    sent = await participant.post(f"/moeder/{meeting}/foreslaa", proposal)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/moeder/{meeting}?foreslaaet=1"
    again = await participant.post(f"/moeder/{meeting}/foreslaa", proposal)  # a reload
    assert again.status_code == 303
    inbox = (await kif.get("/indbakke")).text
    assert inbox.count("Hemmelig Testperson") == 1
    thanked = (await participant.get(f"/moeder/{meeting}?foreslaaet=1")).text
    assert "Borgeren er foreslået til mødet" in thanked
    assert "Hemmelig Testperson" not in thanked
    assert "010190-1234" not in thanked


@pytest.mark.parametrize("path", ["/indbakke", "/modtagere", "/henvendelser", "/arbejdsliste"])
async def test_kif_pages_refuse_other_roles_with_a_danish_403(
    app: Litestar, client: httpx.AsyncClient, units: Units, path: str
) -> None:
    for role, unit in (("arrest", units.arrest), ("participant", units.participant)):
        browser = await signed_in(app, client, role, unit, f"{unit}@example.dk")
        refused = await browser.get(path)
        assert refused.status_code == 403, (role, path)
        assert "Din rolle giver ikke adgang" in refused.text
