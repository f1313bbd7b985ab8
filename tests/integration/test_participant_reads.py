"""Issue 11: participants read the versions circulated to their unit through
``GET /documents/{id}/versions/{n}`` (JSON, HTML or PDF), each read access-logged with
purpose ``meeting-preparation``; a version not circulated to their unit is not theirs."""

from __future__ import annotations

import httpx

from support.data import Units
from support.flows import Auth, access_log, case_for_meeting, change_list
from support.keys import KeyMaker
from support.participants import circulate_to

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def test_a_participant_reads_the_version_circulated_to_its_unit_and_the_read_is_logged(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    sent = await circulate_to(client, auth, units, keys, 1)  # a recipient of units.participant
    assert sent.response.status_code == 202, sent.response.text
    reader = auth("participant", units.participant, sub="deltager-4711")
    path = f"/api/v1/documents/{sent.document_id}/versions/1"
    read = await client.get(path, headers=reader)
    assert read.status_code == 200, read.text
    assert [e["cpr"] for e in read.json()["entries"]] == [sent.body["subject"]["cpr"]]  # type: ignore[index]
    printed = await client.get(path, headers={**reader, "Accept": "application/pdf"})
    assert printed.status_code == 200
    assert printed.content.startswith(b"%PDF-")
    rows = [
        r
        for r in await access_log(client, auth("auditor", units.kif))
        if r["sub"] == "deltager-4711"
    ]
    assert [(r["resource"], r["purpose"], r["subject_count"]) for r in rows] == [
        ("document-version", "meeting-preparation", 1)
    ] * 2


async def test_a_version_not_circulated_to_the_unit_is_not_found(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    sent = await circulate_to(client, auth, units, keys, 1)
    path = f"/api/v1/documents/{sent.document_id}/versions"
    other_unit = await client.get(f"{path}/1", headers=auth("participant", "kommune-andet"))
    assert other_unit.status_code == 404
    assert other_unit.json()["type"] == PROBLEMS + "not-found"
    meeting = (await client.get(f"{path}/1", headers=auth("kif", units.kif))).json()["meeting_id"]
    other = await case_for_meeting(client, auth, units)
    newer = await change_list(client, auth, units, meeting, add=[other], base_version=1)
    assert newer.status_code == 201, newer.text
    uncirculated = await client.get(f"{path}/2", headers=auth("participant", units.participant))
    assert uncirculated.status_code == 404
    diff = await client.get(
        f"/api/v1/documents/{sent.document_id}/diff?from=1&to=2",
        headers=auth("participant", units.participant),
    )
    assert diff.status_code == 403
    assert diff.json()["type"] == PROBLEMS + "forbidden"
