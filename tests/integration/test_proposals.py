"""Participants propose citizens (guide 3.3.7: participants "supplement the list"): for a
meeting they take part in, to that meeting's KiF unit, under the same rules, and they see
only their own proposals, masked."""

from __future__ import annotations

import httpx

from support.data import Units, case_body
from support.flows import Auth, new_meeting
from support.keys import LONG_AGO, KeyMaker

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def taking_part(client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker) -> str:
    """A meeting of units.kif in which units.participant takes part (by e-mail and unit)."""
    meeting = await new_meeting(client, auth, units)
    email = f"{units.participant}@example.dk"  # the e-mail the participant's token carries
    registered = await client.post(
        "/api/v1/recipients",
        headers=auth("kif", units.kif),
        json={
            "name": "Kommunal deltager",
            "email": email,
            "agency": "municipality",
            "unit": units.participant,
            "openpgp_key": keys.public(keys.make(f"D <{email}>", at=LONG_AGO)),
        },
    )
    assert registered.status_code == 201, registered.text
    added = await client.post(
        f"/api/v1/meetings/{meeting}/participants",
        json={"recipient_id": registered.json()["id"]},
        headers=auth("kif", units.kif),
    )
    assert added.status_code == 201
    return meeting


async def test_a_participant_proposes_a_citizen_for_their_meeting_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Guide 3.3.7: "deltagerne mulighed for at følge op på og supplere listen med borgere";
    the proposal reaches the meeting's KiF unit for triage, and the participant sees it
    masked."""
    meeting = await taking_part(client, auth, units, keys)
    participant = auth("participant", units.participant)
    body = case_body(
        units.kif,
        meeting_id=meeting,
        custody="convicted",
        radicalisation_concern=False,
        security_notified_on=None,
    )
    proposed = await client.post("/api/v1/cases", json=body, headers=participant)
    assert proposed.status_code == 201, proposed.text
    case_id = proposed.json()["id"]
    as_kif = await client.get(f"/api/v1/cases/{case_id}", headers=auth("kif", units.kif))
    assert as_kif.json()["meeting_id"] == meeting
    assert as_kif.json()["subject"]["name"] == body["subject"]["name"]
    mine = await client.get("/api/v1/cases", headers=participant)
    assert [item["id"] for item in mine.json()["items"]] == [case_id]
    subject = mine.json()["items"][0]["subject"]
    assert subject == {"cpr": body["subject"]["cpr"][:6] + "-XXXX", "name": None}
    meetings = await client.get("/api/v1/meetings", headers=participant)
    assert [m["id"] for m in meetings.json()["items"]] == [meeting]


async def test_a_remand_proposal_still_needs_a_radicalisation_concern_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Guide 3.3.7: the remand rule holds for proposals too."""
    meeting = await taking_part(client, auth, units, keys)
    body = case_body(
        units.kif, meeting_id=meeting, radicalisation_concern=False, security_notified_on=None
    )
    refused = await client.post(
        "/api/v1/cases", json=body, headers=auth("participant", units.participant)
    )
    assert refused.status_code == 422
    assert refused.json()["type"] == PROBLEMS + "remand-requires-radicalisation-concern"


async def test_no_proposals_for_meetings_one_does_not_take_part_in(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Another unit's participant, or a meeting they are not in: one answer, nothing stored."""
    meeting = await taking_part(client, auth, units, keys)
    outsider = auth("participant", "kommune-" + units.other_kif)
    body = case_body(units.kif, meeting_id=meeting)
    refused = await client.post("/api/v1/cases", json=body, headers=outsider)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "meeting_id", "message": "names no meeting you may propose for"}
    ]
    wrong_unit = await client.post(
        "/api/v1/cases",
        json=case_body(units.other_kif, meeting_id=meeting),
        headers=auth("participant", units.participant),
    )
    assert wrong_unit.json()["errors"] == [
        {"field": "kif_unit", "message": "must be the meeting's KiF unit"}
    ]
    assert (await client.get("/api/v1/cases", headers=outsider)).json()["items"] == []


async def test_a_participant_cannot_read_another_units_proposals_or_any_list(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Participants get no personal data by API: no other unit's proposals, no KSP list."""
    meeting = await taking_part(client, auth, units, keys)
    body = case_body(units.kif, meeting_id=meeting)
    case_id = (
        await client.post(
            "/api/v1/cases", json=body, headers=auth("participant", units.participant)
        )
    ).json()["id"]
    other = auth("participant", "politi-" + units.participant)
    assert (await client.get(f"/api/v1/cases/{case_id}", headers=other)).status_code == 404
    versions = await client.get(
        f"/api/v1/meetings/{meeting}/documents", headers=auth("participant", units.participant)
    )
    assert versions.status_code == 403


async def test_a_jail_cannot_probe_a_meeting_it_may_not_read(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Finding 9: for a real meeting id whose facts differ, a jail gets byte for byte the
    answer it gets for an id that does not exist."""
    meeting = await new_meeting(client, auth, units)
    nowhere = "00000000-0000-4000-8000-000000000000"
    arrest = auth("arrest", units.arrest)
    answers = [
        await client.post(
            "/api/v1/cases",
            json=case_body(units.other_kif, meeting_id=meeting_id, municipality_code=461),
            headers=arrest,
        )
        for meeting_id in (meeting, nowhere)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json()["type"] == PROBLEMS + "validation"
    assert answers[0].json()["errors"] == [
        {"field": "meeting_id", "message": "names no meeting you may propose for"}
    ]
    assert answers[0].content == answers[1].content
