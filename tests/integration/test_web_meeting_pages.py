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
    delivery = after.split('id="levering"')[1].split("<tbody>")[1]
    assert email in delivery
    assert "<td>Sendt</td>" in delivery  # the message's status cell

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


async def listed_meeting(
    kif: Browser, client: httpx.AsyncClient, auth: Auth, units: Units
) -> tuple[str, dict[str, str]]:
    """A meeting called through the pages whose version 1 lists one triaged case."""
    case = await submitted_case(client, auth, units)
    await triaged(kif, case["id"])
    meeting = location_id(await kif.post("/moeder", MEETING_FORM), "/moeder/")
    made = await kif.post(
        f"/moeder/{meeting}/liste", {"add": case["id"], "reason": "Udkast", "base_version": "0"}
    )
    assert made.status_code == 303, made.text
    return meeting, case


async def test_kif_records_attendance_an_outcome_with_an_action_closes_it_and_writes_minutes(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    meeting, case = await listed_meeting(kif, client, auth, units)
    attendee = {"rows": "1", "name_0": "Mødeleder Hansen", "agency_0": "kf", "unit_0": units.kif}
    attendee |= {"role_0": "chair", "present_0": "ja"}
    refused = await kif.post(f"/moeder/{meeting}/fremmoede", attendee)
    assert refused.status_code == 422  # present without the confidentiality undertaking
    assert "tilsluttet sig tavshedspligten" in refused.text
    assert "Mødeleder Hansen" in refused.text  # what was typed is kept
    recorded = await kif.post(
        f"/moeder/{meeting}/fremmoede", attendee | {"confidentiality_0": "ja"}
    )
    assert recorded.status_code == 303, recorded.text
    again = (await kif.get(f"/moeder/{meeting}/fremmoede")).text
    assert "Seneste registrering er nr. 1" in again
    assert "Mødeleder Hansen" in again
    assert "Afholdt" in (await kif.get(f"/moeder/{meeting}")).text

    outcome = {
        "case_id": case["id"],
        "decision": "follow-up",
        "summary": "Drøftet; kommunen tager kontakt",
        "description_0": "Kontakt borgeren",
        "agency_0": "municipality",
        "unit_0": units.participant,
        "due_on_0": "2026-12-20",
    }
    made = await kif.post(f"/moeder/{meeting}/udfald", outcome)
    assert made.status_code == 303, made.text
    twice = await kif.post(f"/moeder/{meeting}/udfald", outcome)
    assert twice.status_code == 409
    assert "Sagen har allerede et resultat fra dette møde" in twice.text
    work = (await kif.get(f"/moeder/{meeting}/afvikling")).text
    assert "Opfølgning aftalt" in work
    assert "Kontakt borgeren" in work
    action_id = re.search(r'action="/handlinger/([0-9a-f-]{36})/status"', work)
    assert action_id
    not_done = await kif.post(
        f"/handlinger/{action_id[1]}/status", {"status": "not-done-agency", "back": "https://x"}
    )
    assert not_done.status_code == 422  # "not done" needs a note
    done = await kif.post(
        f"/handlinger/{action_id[1]}/status", {"status": "done", "back": "https://evil.example"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/handlinger"  # never back to another site
    assert "Udført" in (await kif.get("/handlinger?vis=done")).text

    minutes = await kif.post(f"/moeder/{meeting}/referat", {"minutes_reason": "Referat"})
    assert minutes.status_code == 303, minutes.text
    closed = (await kif.get(f"/moeder/{meeting}/afvikling")).text
    assert "Referat version 1" in closed
    assert "Afsluttet med referat" in (await kif.get(f"/moeder/{meeting}")).text


async def test_kif_records_an_inquiry_by_cpr_in_the_body_and_decides_with_a_justification(
    app: Litestar, client: httpx.AsyncClient, units: Units
) -> None:
    """Guide 3.3.7, "Tidsafgrænsning": KiF decides; departing from the suggestion needs a
    justification. The CPR number travels in the form's body, never in a URL."""
    kif = await signed_in(app, client, "kif", units.kif)
    inquiry = {
        "cpr": "010190-1234",
        "from_agency": "police",
        "received_on": "2026-11-20",
        "detained_since": "2026-09-01",
        "released_on": "2026-11-01",
    }
    made = await kif.post("/henvendelser", inquiry)
    assert made.status_code == 303
    assert made.headers["location"] == "/henvendelser"
    page = (await kif.get("/henvendelser")).text
    assert "Inden for tidsvinduet" in page
    assert "010190-1234" in page
    inquiry_id = re.search(r'action="/henvendelser/([0-9a-f-]{36})/afgoerelse"', page)
    assert inquiry_id
    departs = await kif.post(f"/henvendelser/{inquiry_id[1]}/afgoerelse", {"eligible": "nej"})
    assert departs.status_code == 422
    assert "Skriv en begrundelse: afgørelsen afviger fra forslaget" in departs.text
    decided = await kif.post(
        f"/henvendelser/{inquiry_id[1]}/afgoerelse",
        {"eligible": "nej", "justification": "Politiet har sagen"},
    )
    assert decided.status_code == 303
    assert "Kan ikke drøftes, " in (await kif.get("/henvendelser")).text


async def test_the_worklist_names_a_meeting_within_7_days_whose_list_was_not_circulated(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    case = await submitted_case(client, auth, units)
    await triaged(kif, case["id"])
    soon = {**MEETING_FORM, "date": "2026-11-30"}  # the test clock says 27 November
    meeting = location_id(await kif.post("/moeder", soon), "/moeder/")
    await kif.post(
        f"/moeder/{meeting}/liste", {"add": case["id"], "reason": "U", "base_version": "0"}
    )
    worklist = (await kif.get("/arbejdsliste")).text
    assert "KSP-listen er ikke rundsendt, og mødet er inden for 7 dage" in worklist
    assert f'href="/moeder/{meeting}"' in worklist


async def test_a_cancelled_meeting_refuses_a_list_change_with_the_danish_sentence(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    meeting, case = await listed_meeting(kif, client, auth, units)
    unexplained = await kif.post(f"/moeder/{meeting}/aflys", {"reason": ""})
    assert unexplained.status_code == 422
    cancelled = await kif.post(f"/moeder/{meeting}/aflys", {"reason": "Kommunen kan ikke"})
    assert cancelled.status_code == 303
    assert "Aflyst" in (await kif.get(f"/moeder/{meeting}")).text
    refused = await kif.post(
        f"/moeder/{meeting}/liste", {"remove": case["id"], "reason": "Væk", "base_version": "1"}
    )
    assert refused.status_code == 409
    assert "Mødet er aflyst og kan ikke ændres." in refused.text
