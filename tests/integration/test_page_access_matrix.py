"""The access matrix of the KiF and participant pages (CONTRACT.md, "Who may do what"; issue
10: "a participant or a jail never sees a name or CPR it could not see through the API"):
every page × every role, own and foreign unit. A role that may not gets a Danish 403, a
foreign unit's meeting is 404, and no page shows a name or CPR number to anyone but the
meeting's KiF unit, except the version circulated to a participant's own unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from support.data import Units, case_body
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.keys import LONG_AGO, KeyMaker
from support.web_session import signed_in

OWN_MEETING_PAGES = (
    "/moeder/{m}",
    "/moeder/{m}/liste",
    "/moeder/{m}/liste/1",
    "/moeder/{m}/forskel?fra=1&til=1",
    "/moeder/{m}/rundsendelse",
    "/moeder/{m}/fremmoede",
    "/moeder/{m}/afvikling",
    "/moeder/{m}/foreslaa",
    "/moeder/{m}/udsendt/{d}/1",
)
UNIT_PAGES = (
    "/indbakke",
    "/moeder",
    "/modtagere",
    "/henvendelser",
    "/handlinger",
    "/arbejdsliste",
)
PAGES = (
    UNIT_PAGES
    + OWN_MEETING_PAGES
    + tuple(p.replace("{m}", "{m2}").replace("{d}", "{d2}") for p in OWN_MEETING_PAGES)
)
# The pages each role reaches at all (the others answer 403): by their actions.
PARTICIPANT_PAGES = {"/moeder", "/handlinger", "/moeder/{m}", "/moeder/{m}/foreslaa"}
PARTICIPANT_PAGES |= {"/moeder/{m}/udsendt/{d}/1"}
AUDITOR_PAGES = {"/liste/1", "/forskel", "/rundsendelse"}  # read-documents, read-circulation


@dataclass(frozen=True)
class World:
    ids: dict[str, str]
    secrets: list[str]  # every name and CPR number of the world's cases
    circulated: list[str]  # the names and CPR numbers of version 1 of meeting m


def _secrets(body: dict[str, object]) -> list[str]:
    subject = body["subject"]
    assert isinstance(subject, dict)
    cpr = str(subject["cpr"])
    return [str(subject["name"]), cpr, cpr.replace("-", ""), cpr[:6]]


async def _listed(
    client: httpx.AsyncClient, auth: Auth, units: Units, meeting: str
) -> tuple[str, list[str]]:
    body = case_body(units.kif)
    case_id = await case_for_meeting(
        client, auth, units, subject=body["subject"], concern=body["concern"]
    )
    made = await change_list(client, auth, units, meeting, add=[case_id])
    assert made.status_code == 201, made.text
    return str(made.json()["document_id"]), _secrets(body)


async def world(client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker) -> World:
    """Meeting m, whose version 1 was circulated to a participant of units.participant;
    meeting m2, which that participant takes no part in; a case still in the inbox."""
    kif = auth("kif", units.kif)
    waiting = case_body(units.kif)
    made = await client.post("/api/v1/cases", json=waiting, headers=auth("arrest", units.arrest))
    assert made.status_code == 201
    m, m2 = await new_meeting(client, auth, units), await new_meeting(client, auth, units)
    d, circulated = await _listed(client, auth, units, m)
    d2, elsewhere = await _listed(client, auth, units, m2)
    email = f"{units.participant}@example.dk"
    recipient = await client.post(
        "/api/v1/recipients",
        headers=kif,
        json={
            "name": "Deltager",
            "email": email,
            "agency": "municipality",
            "unit": units.participant,
            "openpgp_key": keys.public(keys.make(f"D <{email}>", at=LONG_AGO)),
        },
    )
    assert recipient.status_code == 201, recipient.text
    added = await client.post(
        f"/api/v1/meetings/{m}/participants",
        json={"recipient_id": recipient.json()["id"]},
        headers=kif,
    )
    assert added.status_code == 201
    sent = await client.post(f"/api/v1/documents/{d}/versions/1/circulate", headers=kif)
    assert sent.status_code == 202, sent.text
    ids = {"m": m, "m2": m2, "d": d, "d2": d2}
    return World(ids, [*_secrets(waiting), *circulated, *elsewhere], circulated)


_FORMS = re.compile(r"<form\b[^>]*>.*?</form>", re.DOTALL | re.IGNORECASE)
_LINKS = re.compile(r'(?:href|action)="([^"]*)"')


def form_problems(html: str, secrets: list[str], where: str) -> list[str]:
    """Every posted form carries the session's CSRF token; no link or form action carries a
    name or CPR number (a URL is logged and kept by browsers)."""
    problems = [
        f"{where}: a form without its CSRF token"
        for form in _FORMS.findall(html)
        if 'method="post"' in form and 'name="csrf_token"' not in form
    ]
    links = " ".join(_LINKS.findall(html))
    problems += [f"{where}: personal data in a link" for s in secrets if s in links]
    return problems


def expected_status(role: str, relation: str, page: str) -> int:
    """What the page answers: a role's pages 200 (its own meetings' only), a role that may
    not 403, a meeting it may not see 404 (its existence does not leak)."""
    reached = {
        "kif": not page.endswith("/udsendt/{d}/1") and not page.endswith("/udsendt/{d2}/1"),
        "participant": page.replace("{m2}", "{m}").replace("{d2}", "{d}") in PARTICIPANT_PAGES,
        "auditor": any(p in page for p in AUDITOR_PAGES),
    }.get(role, False)
    both_meetings = role == "kif"  # KiF's unit called both; the participant takes part in m
    sees = page in UNIT_PAGES or (relation == "own" and (both_meetings or "{m}" in page))
    if role == "auditor":
        sees = False  # may read documents and circulations, but reaches no meeting's page
    if not reached:
        return 404 if role == "kif" else 403  # KiF reads its lists on its own pages
    return 200 if sees else 404


async def test_every_page_answers_each_role_as_the_api_would_and_shows_no_foreign_names(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    made = await world(client, auth, units, keys)
    visitors = {
        ("kif", "own"): (units.kif, None),
        ("kif", "foreign"): (units.other_kif, None),
        ("participant", "own"): (units.participant, f"{units.participant}@example.dk"),
        ("participant", "foreign"): ("kommune-101", "kommune-101@example.dk"),
        ("arrest", "own"): (units.arrest, None),
        ("auditor", "own"): (units.auditor, None),
    }
    failures = []
    for (role, relation), (unit, email) in visitors.items():
        browser = await signed_in(app, client, role, unit, email)
        for template in PAGES:
            path = template.format(**made.ids)
            answer = await browser.get(path)
            expected = expected_status(role, relation, template)
            if answer.status_code != expected:
                failures.append(f"{role}/{relation} {template}: {answer.status_code} != {expected}")
            assert answer.headers["cache-control"] == "no-store", path
            failures += form_problems(answer.text, made.secrets, f"{role}/{relation} {template}")
            if role == "kif" and relation == "own":
                continue
            allowed = made.circulated if template == "/moeder/{m}/udsendt/{d}/1" else []
            shown = [s for s in made.secrets if s in answer.text and s not in allowed]
            if shown:
                failures.append(f"{role}/{relation} {template} shows {len(shown)} personal data")
    assert failures == []


async def test_the_version_circulated_to_a_participants_unit_is_read_for_meeting_preparation(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    made = await world(client, auth, units, keys)
    email = f"{units.participant}@example.dk"
    participant = await signed_in(app, client, "participant", units.participant, email)
    page = await participant.get("/moeder/{m}/udsendt/{d}/1".format(**made.ids))
    assert page.status_code == 200
    assert made.circulated[0] in page.text
    assert made.circulated[1] in page.text
    log = await client.get(
        "/api/v1/audit/access-log",
        params={"limit": 500},
        headers=auth("auditor", units.auditor),
    )
    rows = [r for r in log.json()["items"] if r["unit"] == units.participant]
    assert [(r["resource"], r["purpose"], r["subject_count"]) for r in rows] == [
        ("document-version", "meeting-preparation", 1)
    ]


@pytest.mark.parametrize("path", ["/moeder/{m}/udsendt/{d2}/1", "/moeder/{m2}/udsendt/{d}/1"])
async def test_a_participant_never_reads_a_version_of_another_meeting_through_its_own(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, path: str
) -> None:
    made = await world(client, auth, units, keys)
    email = f"{units.participant}@example.dk"
    participant = await signed_in(app, client, "participant", units.participant, email)
    answer = await participant.get(path.format(**made.ids))
    assert answer.status_code == 404
    assert not [s for s in made.secrets if s in answer.text]
