"""Cases over HTTP on a real database (SQLite and PostgreSQL): CONTRACT.md's /cases."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.db.tables import cases
from support.data import Units

Client = httpx.AsyncClient
PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def count_cases(engine: AsyncEngine, submitted_by_unit: str) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).where(cases.c.submitted_by_unit == submitted_by_unit)
        return int((await connection.execute(query)).scalar_one())


async def submit(client: Client, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return await client.post("/api/v1/cases", json=body, headers=headers)


async def test_remand_case_without_radicalisation_concern_is_refused_and_not_stored_guide_3_3_7(
    client: Client,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Guide 3.3.7: "oplysninger om varetægtsarrestanter kun må udveksles i KSP-regi, hvis der
    er bekymring for radikalisering"."""
    payload = body(units.kif, radicalisation_concern=False, security_notified_on=None)
    response = await submit(client, auth("arrest", units.arrest), payload)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == PROBLEMS + "remand-requires-radicalisation-concern"
    assert await count_cases(engine, units.arrest) == 0


async def test_convicted_and_youth_section_78_cases_need_no_radicalisation_concern_guide_3_3_7(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Guide 3.3.7 / § 115 stk. 2: convicted people and young people under § 78 need no
    radicalisation concern."""
    for custody in ("convicted", "youth_section_78"):
        payload = body(
            units.kif, custody=custody, radicalisation_concern=False, security_notified_on=None
        )
        response = await submit(client, auth("arrest", units.arrest), payload)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "submitted"


async def test_radicalisation_concern_needs_the_date_security_was_notified_guide_3_3_6(
    client: Client,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Guide 3.3.6: "Medarbejdere ... skal underrette Koncern Sikkerhed ved bekymring for
    radikalisering og ekstremisme, også ved varetægtsfængsling"."""
    response = await submit(
        client, auth("arrest", units.arrest), body(units.kif, security_notified_on=None)
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == PROBLEMS + "validation"
    assert {
        "field": "security_notified_on",
        "message": "is required with a radicalisation concern",
    } in problem["errors"]
    assert await count_cases(engine, units.arrest) == 0


async def test_security_notification_date_may_not_be_in_the_future_guide_3_3_6(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Guide 3.3.6: the notification is a fact that has happened, so not a future date."""
    response = await submit(
        client, auth("arrest", units.arrest), body(units.kif, security_notified_on="2026-11-28")
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "security_notified_on", "message": "must not be in the future"}
    ]


async def test_cpr_numbers_failing_the_old_modulus_11_check_are_accepted(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """DOMAIN.md: since 2007 not every CPR number passes modulus 11, so it is not required."""
    payload = body(units.kif, subject={"name": "Test Person", "cpr": "0101901235"})
    response = await submit(client, auth("arrest", units.arrest), payload)
    assert response.status_code == 201, response.text


async def test_invalid_cpr_numbers_are_refused_without_echoing_them(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """A CPR number with an impossible date is a 422 that names the field, not the value."""
    for cpr in ("3102901234", "310290-1234", "0101304999"):
        payload = body(units.kif, subject={"name": "Test Person", "cpr": cpr})
        response = await submit(client, auth("arrest", units.arrest), payload)
        assert response.status_code == 422, cpr
        assert response.json()["errors"][0]["field"] == "subject.cpr"
        assert cpr not in response.text
        assert cpr.replace("-", "") not in response.text


async def test_unknown_municipality_and_police_district_are_refused(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """411 Christiansø is not a municipality; districts are the 12 slugs."""
    payload = body(units.kif, municipality_code=411, police_district="atlantis")
    response = await submit(client, auth("arrest", units.arrest), payload)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"municipality_code", "police_district"}


async def test_names_and_texts_are_stored_in_nfc(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Issue 2: names and texts are Unicode-normalised (NFC) at the edge."""
    decomposed = unicodedata.normalize("NFD", "Søren Ærø Aïcha")
    payload = body(
        units.kif,
        subject={"name": decomposed, "cpr": "010190-1234"},
        concern=unicodedata.normalize("NFD", "Bekymring ü"),
    )
    created = await submit(client, auth("arrest", units.arrest), payload)
    assert created.status_code == 201
    read = await client.get(f"/api/v1/cases/{created.json()['id']}", headers=auth("kif", units.kif))
    assert read.json()["subject"]["name"] == unicodedata.normalize("NFC", "Søren Ærø Aïcha")
    assert read.json()["concern"] == unicodedata.normalize("NFC", "Bekymring ü")


async def test_kif_sees_the_full_cpr_number_others_see_it_masked(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """CONTRACT.md: CPR shown in full to kif only, masked DDMMYY-XXXX to others."""
    payload = body(units.kif, subject={"name": "Test Person", "cpr": "0101901234"})
    created = await submit(client, auth("arrest", units.arrest), payload)
    case_id = created.json()["id"]
    as_kif = await client.get(f"/api/v1/cases/{case_id}", headers=auth("kif", units.kif))
    as_arrest = await client.get(f"/api/v1/cases/{case_id}", headers=auth("arrest", units.arrest))
    assert as_kif.json()["subject"]["cpr"] == "010190-1234"
    assert as_arrest.json()["subject"]["cpr"] == "010190-XXXX"
    assert as_arrest.json()["subject"]["name"] == "Test Person"


async def test_a_retried_submission_with_the_same_idempotency_key_stores_one_case(
    client: Client,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Issue 2: a retried submission returns the first response and stores nothing new."""
    headers = {**auth("arrest", units.arrest, sub="retrier"), "Idempotency-Key": "req-1"}
    payload = body(units.kif)
    first = await submit(client, headers, payload)
    second = await submit(client, headers, payload)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await count_cases(engine, units.arrest) == 1


async def test_concurrent_retries_with_one_idempotency_key_store_one_case(
    client: Client,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Retries racing each other still store exactly one case and all get the same answer."""
    headers = {**auth("arrest", units.arrest, sub="racer"), "Idempotency-Key": "race-1"}
    payload = body(units.kif)
    answers = await asyncio.gather(*(submit(client, headers, payload) for _ in range(6)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await count_cases(engine, units.arrest) == 1


async def test_reusing_an_idempotency_key_for_another_request_is_refused(
    client: Client,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """The same key with a different body is a 422, and the second case is not stored."""
    headers = {**auth("arrest", units.arrest, sub="reuser"), "Idempotency-Key": "k"}
    assert (await submit(client, headers, body(units.kif))).status_code == 201
    again = await submit(client, headers, body(units.kif))
    assert again.status_code == 422
    assert again.json()["type"] == PROBLEMS + "idempotency-key-reused"
    assert await count_cases(engine, units.arrest) == 1


async def test_triage_moves_a_submitted_case_once_guide_3_3_7(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Guide 3.3.7: KiF judges whether a case waits for a meeting or is urgent; a second
    triage is an invalid move (409)."""
    kif = auth("kif", units.kif)
    for decision in ("meeting", "direct", "rejected"):
        created = await submit(client, auth("arrest", units.arrest), body(units.kif))
        url = f"/api/v1/cases/{created.json()['id']}/triage"
        first = await client.post(
            url, json={"decision": decision, "reason": "vurderet"}, headers=kif
        )
        assert first.status_code == 200, first.text
        assert first.json()["status"] == decision
        second = await client.post(url, json={"decision": "meeting"}, headers=kif)
        assert second.status_code == 409
        assert second.json()["type"] == PROBLEMS + "invalid-status-transition"


async def test_rejecting_a_case_needs_a_reason(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """A rejection without a reason is a 422; the case stays submitted."""
    created = await submit(client, auth("arrest", units.arrest), body(units.kif))
    case_id = created.json()["id"]
    kif = auth("kif", units.kif)
    response = await client.post(
        f"/api/v1/cases/{case_id}/triage", json={"decision": "rejected"}, headers=kif
    )
    assert response.status_code == 422
    read = await client.get(f"/api/v1/cases/{case_id}", headers=kif)
    assert read.json()["status"] == "submitted"


async def test_listing_filters_by_status_and_pages(
    client: Client,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """GET /cases filters by status and pages with limit and offset."""
    kif = auth("kif", units.kif)
    ids = [
        (await submit(client, auth("arrest", units.arrest), body(units.kif))).json()["id"]
        for _ in range(3)
    ]
    await client.post(f"/api/v1/cases/{ids[0]}/triage", json={"decision": "meeting"}, headers=kif)
    meeting = await client.get("/api/v1/cases", params={"status": "meeting"}, headers=kif)
    assert [item["id"] for item in meeting.json()["items"]] == [ids[0]]
    first = await client.get("/api/v1/cases", params={"limit": 2}, headers=kif)
    assert len(first.json()["items"]) == 2
    assert first.json()["next_offset"] == 2
    rest = await client.get("/api/v1/cases", params={"limit": 2, "offset": 2}, headers=kif)
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next_offset"] is None


async def test_a_participant_proposal_needs_a_meeting_they_take_part_in(
    client: Client,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Callable[..., dict[str, Any]],
) -> None:
    """Guide 3.3.7: participants supplement the list for a meeting; without one, 422."""
    participant = auth("participant", units.participant)
    response = await submit(client, participant, body(units.kif))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "meeting_id"
    assert await count_cases(engine, units.participant) == 0
