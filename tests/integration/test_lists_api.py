"""Meetings and their journalised KSP lists over HTTP (guide 3.3.7, issue 3)."""

from __future__ import annotations

from dataclasses import replace

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.app import create_app
from ksp.settings import Settings
from support.clock import FixedClock
from support.data import Units, case_body
from support.flows import Auth, access_log, case_for_meeting, change_list, new_meeting

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def test_every_update_of_the_list_makes_a_new_version_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: "skal der oprettes et nyt dokument når KSP-listen opdateres, som skal
    journaliseres på ny" — and old versions stay as they were."""
    meeting = await new_meeting(client, auth, units)
    first, second = [await case_for_meeting(client, auth, units) for _ in range(2)]
    v1 = await change_list(client, auth, units, meeting, add=[first])
    assert v1.status_code == 201, v1.text
    document_id = v1.json()["document_id"]
    v2 = await change_list(client, auth, units, meeting, add=[second], base_version=1)
    assert (v1.json()["version"], v2.json()["version"]) == (1, 2)
    kif = auth("kif", units.kif)
    old = await client.get(f"/api/v1/documents/{document_id}/versions/1", headers=kif)
    new = await client.get(f"/api/v1/documents/{document_id}/versions/2", headers=kif)
    assert [e["case_id"] for e in old.json()["entries"]] == [first]
    assert [e["case_id"] for e in new.json()["entries"]] == [first, second]
    listed = await client.get(f"/api/v1/meetings/{meeting}/documents", headers=kif)
    assert [v["version"] for v in listed.json()["versions"]] == [1, 2]


async def test_a_version_holds_name_cpr_and_concern_and_its_sha256_can_be_recomputed(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: "Dokumentet skal indeholde navn, CPR-nummer samt årsag til bekymring";
    the reported sha256 is that of the canonical JSON, which a recipient can recompute."""
    meeting = await new_meeting(client, auth, units)
    body = case_body(units.kif)
    case_id = await case_for_meeting(
        client, auth, units, subject=body["subject"], concern=body["concern"]
    )
    made = (await change_list(client, auth, units, meeting, add=[case_id])).json()
    version = await client.get(
        f"/api/v1/documents/{made['document_id']}/versions/1", headers=auth("kif", units.kif)
    )
    entry = version.json()["entries"][0]
    assert (entry["name"], entry["cpr"], entry["concern"]) == (
        body["subject"]["name"],
        body["subject"]["cpr"],
        body["concern"],
    )
    assert (entry["custody"], entry["submitted_by"]) == ("remand", units.arrest)
    assert version.json()["sha256"] == made["sha256"]
    assert len(made["sha256"]) == 64


async def test_a_stale_base_version_is_a_409_and_nothing_is_written(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """CONTRACT.md: a stale base_version is 409, nothing written."""
    meeting = await new_meeting(client, auth, units)
    cases = [await case_for_meeting(client, auth, units) for _ in range(3)]
    await change_list(client, auth, units, meeting, add=[cases[0]])
    await change_list(client, auth, units, meeting, add=[cases[1]], base_version=1)
    for base in (None, 1, 3):
        stale = await change_list(
            client,
            auth,
            units,
            meeting,
            add=[cases[2]],
            **({} if base is None else {"base_version": base}),
        )
        assert stale.status_code == 409, base
        assert stale.json()["type"] == PROBLEMS + "not-latest-version"
    listed = await client.get(
        f"/api/v1/meetings/{meeting}/documents", headers=auth("kif", units.kif)
    )
    assert [v["version"] for v in listed.json()["versions"]] == [1, 2]


async def test_only_cases_triaged_for_a_meeting_of_its_unit_municipality_and_district_join(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Issue 3: a case joins only if triaged to `meeting`, of the KiF unit, and of the
    meeting's municipality and police district."""
    meeting = await new_meeting(client, auth, units)
    untriaged = await client.post(
        "/api/v1/cases", json=case_body(units.kif), headers=auth("arrest", units.arrest)
    )
    elsewhere = await case_for_meeting(client, auth, units, municipality_code=147)
    other_district = await case_for_meeting(
        client, auth, units, police_district="koebenhavns-vestegn"
    )
    refused = await change_list(
        client,
        auth,
        units,
        meeting,
        add=[
            untriaged.json()["id"],
            elsewhere,
            other_district,
            "00000000-0000-4000-8000-000000000000",
        ],
    )
    assert refused.status_code == 422
    assert [(e["field"], e["message"]) for e in refused.json()["errors"]] == [
        ("add[0]", "is not triaged for a meeting"),
        ("add[1]", "belongs to another municipality than the meeting's"),
        ("add[2]", "belongs to another police district than the meeting's"),
        ("add[3]", "does not name a case of this KiF unit"),
    ]
    listed = await client.get(
        f"/api/v1/meetings/{meeting}/documents", headers=auth("kif", units.kif)
    )
    assert listed.json() == {"document_id": None, "versions": []}


async def test_removing_and_the_diff_of_two_versions(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """GET /documents/{id}/diff: added, removed, changed."""
    meeting = await new_meeting(client, auth, units)
    a, b, c = [await case_for_meeting(client, auth, units) for _ in range(3)]
    v1 = (await change_list(client, auth, units, meeting, add=[a, b])).json()
    await change_list(client, auth, units, meeting, add=[c], remove=[a], base_version=1)
    diff = await client.get(
        f"/api/v1/documents/{v1['document_id']}/diff",
        params={"from": 1, "to": 2},
        headers=auth("kif", units.kif),
    )
    assert diff.status_code == 200, diff.text
    assert [e["case_id"] for e in diff.json()["added"]] == [c]
    assert [e["case_id"] for e in diff.json()["removed"]] == [a]
    assert diff.json()["changed"] == []
    assert diff.json()["minutes"] is None  # a list's versions: nothing but the entries


async def test_an_empty_or_contradictory_change_is_refused(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A change adds or removes something; a case cannot be added twice or removed unseen."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    empty = await change_list(client, auth, units, meeting)
    assert empty.status_code == 422
    unseen = await change_list(client, auth, units, meeting, remove=[case_id])
    assert unseen.json()["errors"] == [{"field": "remove[0]", "message": "is not on the list"}]
    await change_list(client, auth, units, meeting, add=[case_id])
    twice = await change_list(client, auth, units, meeting, add=[case_id], base_version=1)
    assert twice.json()["errors"] == [{"field": "add[0]", "message": "is already on the list"}]


async def test_the_html_document_is_danish_escaped_and_carries_the_data_protection_notice(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: "Hver part er ansvarlig for at vurdere og behandle oplysningerne inden
    for eget regi efter gældende databeskyttelsesregler"."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units, concern="<script>alert(1)</script>")
    made = (await change_list(client, auth, units, meeting, add=[case_id])).json()
    page = await client.get(
        f"/api/v1/documents/{made['document_id']}/versions/1",
        headers={**auth("kif", units.kif), "Accept": "text/html"},
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "efter gældende databeskyttelsesregler" in page.text
    assert "Årsag til bekymring" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


async def test_meetings_name_a_municipality_and_the_district_that_covers_it(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A KSP meeting is with one municipality and the police district it lies in."""
    response = await client.post(
        "/api/v1/meetings",
        json={
            "municipality_code": 101,
            "police_district": "fyn",
            "scheduled_for": "2026-12-10T10:00:00+01:00",
            "title": "Møde",
        },
        headers=auth("kif", units.kif),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "police_district", "message": "does not cover the municipality"}
    ]


async def test_reading_a_version_is_logged_with_every_subject(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Every read of a version appends to the access log, with how many subjects it showed."""
    meeting = await new_meeting(client, auth, units)
    cases = [await case_for_meeting(client, auth, units) for _ in range(3)]
    made = (await change_list(client, auth, units, meeting, add=cases)).json()
    reader = auth("auditor", units.auditor, sub="doc-reader")
    await client.get(f"/api/v1/documents/{made['document_id']}/versions/1", headers=reader)
    mine = [
        e
        for e in await access_log(client, auth("auditor", units.auditor))
        if e["sub"] == "doc-reader"
    ]
    assert [(e["resource"], e["subject_count"]) for e in mine] == [("document-version", 3)]


async def test_a_list_holds_at_most_ksp_max_list_entries_and_nothing_is_written(
    settings: Settings, engine: AsyncEngine, session_clock: FixedClock, auth: Auth, units: Units
) -> None:
    """Finding 13: a change that would make the list longer than KSP_MAX_LIST_ENTRIES is
    422 naming add, and no version is written."""
    small = create_app(replace(settings, max_list_entries=2), engine=engine, clock=session_clock)
    transport = httpx.ASGITransport(app=small, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
            meeting = await new_meeting(client, auth, units)
            a, b, c = [await case_for_meeting(client, auth, units) for _ in range(3)]
            refused = await change_list(client, auth, units, meeting, add=[a, b, c])
            assert refused.status_code == 422
            assert refused.json()["errors"] == [
                {"field": "add", "message": "would make the list longer than 2 entries"}
            ]
            versions = await client.get(
                f"/api/v1/meetings/{meeting}/documents", headers=auth("kif", units.kif)
            )
            assert versions.json()["versions"] == []
            made = await change_list(client, auth, units, meeting, add=[a, b])
            assert made.status_code == 201
            swapped = await change_list(
                client, auth, units, meeting, add=[c], remove=[a], base_version=1
            )
            assert swapped.status_code == 201, swapped.text
    finally:
        small.state.mail.close()
