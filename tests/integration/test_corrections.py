"""Corrections (CONTRACT.md, issue 7): a case put right as a new revision, withdrawn, its
triage corrected, the meetings whose list holds it, and KiF's search by CPR."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from support.data import SUBMITTED_PERSONAL_DATA, Units, case_body
from support.flows import Auth, access_log, case_for_meeting, change_list, new_meeting

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def submit(client: httpx.AsyncClient, auth: Auth, units: Units, **changes: object) -> str:
    created = await client.post(
        "/api/v1/cases", json=case_body(units.kif, **changes), headers=auth("arrest", units.arrest)
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_correction_is_a_new_revision_with_its_reason(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """PATCH /cases/{id}: the jail corrects a fact; 200 with the case and revision 1, and
    GET /cases/{id}/revisions names the fields, never their values."""
    case_id = await submit(client, auth, units)
    SUBMITTED_PERSONAL_DATA.add("Rettet bekymring for radikalisering")  # scanned for at the end
    arrest = auth("arrest", units.arrest, sub="jail-officer-9")
    corrected = await client.patch(
        f"/api/v1/cases/{case_id}",
        json={
            "concern": "Rettet bekymring for radikalisering",
            "urgent": True,
            "reason": "Tastefejl",
        },
        headers=arrest,
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["revision"] == 1
    assert corrected.json()["concern"] == "Rettet bekymring for radikalisering"
    assert corrected.json()["urgent"] is True
    revisions = await client.get(f"/api/v1/cases/{case_id}/revisions", headers=arrest)
    assert revisions.status_code == 200
    [revision] = revisions.json()["items"]
    assert revision["revision"] == 1
    assert revision["fields"] == ["concern", "urgent"]
    assert revision["reason"] == "Tastefejl"
    assert revision["by"] == "jail-officer-9"
    kif = await client.patch(
        f"/api/v1/cases/{case_id}",
        json={"released_on": "2026-11-25", "reason": "Løsladt"},
        headers=auth("kif", units.kif),
    )
    assert kif.json()["revision"] == 2
    assert kif.json()["released_on"] == "2026-11-25"


async def test_a_correction_obeys_the_remand_rule_again_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: a remand case needs a radicalisation concern, also after a correction;
    nothing is written when the merged case breaks a rule."""
    case_id = await submit(client, auth, units)
    arrest = auth("arrest", units.arrest)
    refused = await client.patch(
        f"/api/v1/cases/{case_id}",
        json={"radicalisation_concern": False, "security_notified_on": None, "reason": "Fejl"},
        headers=arrest,
    )
    assert refused.status_code == 422
    assert refused.json()["type"] == PROBLEMS + "remand-requires-radicalisation-concern"
    dropped = await client.patch(
        f"/api/v1/cases/{case_id}",
        json={"security_notified_on": None, "reason": "Fejl"},
        headers=arrest,
    )
    assert dropped.status_code == 422  # guide 3.3.6: Koncern Sikkerhed is told of a concern
    assert [e["field"] for e in dropped.json()["errors"]] == ["security_notified_on"]
    revisions = await client.get(f"/api/v1/cases/{case_id}/revisions", headers=arrest)
    assert revisions.json()["items"] == []


async def test_kif_unit_is_never_corrected_and_a_reason_is_required(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """CONTRACT.md: any submitted field but kif_unit, plus a required reason."""
    case_id = await submit(client, auth, units)
    arrest = auth("arrest", units.arrest)
    moved = await client.patch(
        f"/api/v1/cases/{case_id}",
        json={"kif_unit": units.other_kif, "reason": "Flyt"},
        headers=arrest,
    )
    assert moved.status_code == 422
    assert moved.json()["type"] == PROBLEMS + "validation"
    assert [e["field"] for e in moved.json()["errors"]] == ["kif_unit"]
    no_reason = await client.patch(
        f"/api/v1/cases/{case_id}", json={"urgent": True}, headers=arrest
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["type"] == PROBLEMS + "validation"
    other_jail = await client.patch(
        f"/api/v1/cases/{case_id}",
        json={"urgent": True, "reason": "x"},
        headers=auth("arrest", units.other_arrest),
    )
    assert other_jail.status_code == 404


async def test_written_versions_keep_what_they_hold_and_the_next_shows_the_correction(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: a journalised document is never updated; the next list change carries
    the corrected entry, and its diff shows it under changed."""
    meeting = await new_meeting(client, auth, units)
    a, b = [await case_for_meeting(client, auth, units) for _ in range(2)]
    v1 = (await change_list(client, auth, units, meeting, add=[a])).json()
    kif = auth("kif", units.kif)
    document = f"/api/v1/documents/{v1['document_id']}"
    before = (await client.get(f"{document}/versions/1", headers=kif)).json()
    corrected = await client.patch(
        f"/api/v1/cases/{a}",
        json={"concern": "Rettet årsag til bekymring", "reason": "Forkert årsag"},
        headers=auth("arrest", units.arrest),
    )
    assert corrected.status_code == 200, corrected.text
    assert (await client.get(f"{document}/versions/1", headers=kif)).json() == before
    v2 = await change_list(client, auth, units, meeting, add=[b], base_version=1)
    assert v2.status_code == 201, v2.text
    diff = await client.get(f"{document}/diff", params={"from": 1, "to": 2}, headers=kif)
    [changed] = diff.json()["changed"]
    assert changed["before"]["concern"] != "Rettet årsag til bekymring"
    assert changed["after"]["concern"] == "Rettet årsag til bekymring"
    assert [e["case_id"] for e in diff.json()["added"]] == [b]


async def test_a_withdrawn_case_cannot_be_added_to_a_list(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """POST /cases/{id}/withdraw: status withdrawn; a list change adding it is 422, and a
    second withdrawal is 409."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    arrest = auth("arrest", units.arrest)
    withdrawn = await client.post(
        f"/api/v1/cases/{case_id}/withdraw", json={"reason": "Sagen er løst"}, headers=arrest
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    read = await client.get(f"/api/v1/cases/{case_id}", headers=auth("kif", units.kif))
    assert read.json()["status"] == "withdrawn"
    added = await change_list(client, auth, units, meeting, add=[case_id])
    assert added.status_code == 422
    assert added.json()["errors"] == [{"field": "add[0]", "message": "is withdrawn"}]
    again = await client.post(
        f"/api/v1/cases/{case_id}/withdraw", json={"reason": "Igen"}, headers=arrest
    )
    assert again.status_code == 409
    revisions = await client.get(f"/api/v1/cases/{case_id}/revisions", headers=arrest)
    assert [r["fields"] for r in revisions.json()["items"]] == [["status"]]


async def test_a_triage_is_corrected_only_on_purpose_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: KiF judges urgency; a second triage is 409 unless it corrects, with a
    reason, and the history keeps both decisions."""
    case_id = await submit(client, auth, units)
    kif = auth("kif", units.kif)
    url = f"/api/v1/cases/{case_id}/triage"
    first = await client.post(url, json={"decision": "meeting"}, headers=kif)
    assert first.status_code == 200
    again = await client.post(url, json={"decision": "direct"}, headers=kif)
    assert again.status_code == 409
    unexplained = await client.post(url, json={"decision": "direct", "corrects": True}, headers=kif)
    assert unexplained.status_code == 422
    assert [e["field"] for e in unexplained.json()["errors"]] == ["reason"]
    fixed = await client.post(
        url, json={"decision": "direct", "corrects": True, "reason": "Haster"}, headers=kif
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "direct"
    read = (await client.get(f"/api/v1/cases/{case_id}", headers=kif)).json()
    assert read["triage_decision"] == "direct"
    history = read["triage_history"]
    assert [(t["decision"], t["corrects"]) for t in history] == [
        ("meeting", False),
        ("direct", True),
    ]
    assert history[1]["reason"] == "Haster"


async def test_a_rejection_needs_a_reason_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: KiF judges the case; a rejected triage names why (422 naming reason)."""
    case_id = await submit(client, auth, units)
    refused = await client.post(
        f"/api/v1/cases/{case_id}/triage",
        json={"decision": "rejected"},
        headers=auth("kif", units.kif),
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]


async def test_a_listed_case_shows_its_meetings_and_goes_back_when_removed(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """GET /cases/{id}: meeting_id and meetings once on a list (status listed); removed from
    the latest version, it is triaged for a meeting again, on no meeting."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    kif = auth("kif", units.kif)
    await change_list(client, auth, units, meeting, add=[case_id])
    listed = (await client.get(f"/api/v1/cases/{case_id}", headers=kif)).json()
    assert listed["status"] == "listed"
    assert listed["meeting_id"] == meeting
    assert listed["meetings"] == [{"meeting_id": meeting, "version": 1}]
    other = await case_for_meeting(client, auth, units)
    await change_list(client, auth, units, meeting, add=[other], base_version=1)
    kept = (await client.get(f"/api/v1/cases/{case_id}", headers=kif)).json()
    assert kept["meetings"] == [{"meeting_id": meeting, "version": 2}]
    await change_list(client, auth, units, meeting, remove=[case_id], base_version=2)
    removed = (await client.get(f"/api/v1/cases/{case_id}", headers=kif)).json()
    assert removed["status"] == "meeting"
    assert removed["meeting_id"] is None
    assert removed["meetings"] == []


async def test_kif_searches_a_persons_cases_in_its_own_unit_and_the_search_is_logged(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """POST /cases/search: the CPR in the body; only cases routed to the caller's unit;
    every search writes an access-log row."""
    body = case_body(units.kif)
    cpr = body["subject"]["cpr"]
    created = await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
    case_id = created.json()["id"]
    kif = auth("kif", units.kif, sub="kif-searcher")
    found = await client.post("/api/v1/cases/search", json={"cpr": cpr}, headers=kif)
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [case_id]
    elsewhere = await client.post(
        "/api/v1/cases/search", json={"cpr": cpr}, headers=auth("kif", units.other_kif)
    )
    assert elsewhere.json()["items"] == []
    rows = await access_log(client, auth("auditor", units.auditor))
    mine = [r for r in rows if r["sub"] == "kif-searcher" and r["resource"] == "case-search"]
    assert [r["subject_count"] for r in mine] == [1]
    bad = await client.post("/api/v1/cases/search", json={"cpr": "abc"}, headers=kif)
    assert bad.status_code == 400


async def test_a_second_open_case_of_the_same_person_is_a_possible_duplicate(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """CONTRACT.md: a submission whose CPR has an open case in the same KiF unit answers 201
    with possible_duplicates; a jail is told only of cases it may see itself."""
    body = case_body(units.kif)
    arrest = auth("arrest", units.arrest)
    first = (await client.post("/api/v1/cases", json=body, headers=arrest)).json()
    assert first["possible_duplicates"] == []
    again = await client.post("/api/v1/cases", json={**body, "concern": "Igen"}, headers=arrest)
    assert again.status_code == 201
    assert again.json()["possible_duplicates"] == [first["id"]]
    other_jail = await client.post(
        "/api/v1/cases", json=body, headers=auth("arrest", units.other_arrest)
    )
    assert other_jail.json()["possible_duplicates"] == []
    as_kif = await client.post("/api/v1/cases", json=body, headers=auth("kif", units.kif))
    assert set(as_kif.json()["possible_duplicates"]) == {
        first["id"],
        again.json()["id"],
        other_jail.json()["id"],
    }


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE case_revisions SET reason_ct = before_ct",
        "DELETE FROM case_revisions",
        "UPDATE case_triages SET decision = 'rejected'",
        "DELETE FROM case_triages",
        "UPDATE list_entries SET version = version + 1",
        "DELETE FROM list_entries",
    ],
)
async def test_revisions_triages_and_list_entries_are_never_changed(
    client: httpx.AsyncClient, auth: Auth, units: Units, engine: AsyncEngine, statement: str
) -> None:
    """Guide 3.3.7: what was written stays as it was; the database refuses the change."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    await change_list(client, auth, units, meeting, add=[case_id])
    corrected = await client.patch(
        f"/api/v1/cases/{case_id}",
        json={"urgent": True, "reason": "Haster"},
        headers=auth("kif", units.kif),
    )
    assert corrected.status_code == 200
    with pytest.raises(Exception, match="immutable"):
        async with engine.begin() as connection:
            await connection.execute(text(statement))
