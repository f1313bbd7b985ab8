"""Inquiries about released people and KiF's decisions (guide 3.3.7, "Tidsafgrænsning")."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from test_proposals import taking_part

from support.data import Units, case_body, random_cpr
from support.flows import Auth, access_log, case_for_meeting, change_list, new_meeting
from support.keys import KeyMaker

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def inquire(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Any:
    payload = {
        "cpr": random_cpr(),
        "from_agency": "municipality",
        "received_on": "2026-02-15",
        "detained_since": "2026-01-01",
        "released_on": "2026-02-01",
        **body,
    }
    return await client.post("/api/v1/inquiries", json=payload, headers=headers)


async def test_the_suggestion_follows_the_guides_example_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: detained a month, asked two weeks after release: inside; three months
    after: outside."""
    kif = auth("kif", units.kif)
    inside = await inquire(client, kif, received_on="2026-02-15")
    outside = await inquire(client, kif, received_on="2026-05-01")
    assert inside.status_code == 201, inside.text
    assert (inside.json()["suggestion"], inside.json()["window_days"]) == ("inside", 31)
    assert outside.json()["suggestion"] == "outside"
    assert inside.json()["policy"] == "detention-length/v1"


async def test_departing_from_the_suggestion_needs_a_justification_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """KiF decides; a decision against the suggestion must say why."""
    kif = auth("kif", units.kif)
    inquiry = (await inquire(client, kif)).json()
    url = f"/api/v1/inquiries/{inquiry['id']}/decision"
    refused = await client.post(url, json={"eligible": False}, headers=kif)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "justification"
    agreed = await client.post(url, json={"eligible": True}, headers=kif)
    assert (agreed.status_code, agreed.json()["number"]) == (201, 1)
    corrected = await client.post(
        url, json={"eligible": False, "justification": "Ny viden"}, headers=kif
    )
    assert (corrected.json()["number"], corrected.json()["corrects"]) == (2, 1)


async def test_without_the_detention_length_every_decision_needs_a_justification_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Unknown detention: no suggestion, so the decision always needs a justification."""
    kif = auth("kif", units.kif)
    inquiry = (await inquire(client, kif, detained_since=None, released_on=None)).json()
    assert (inquiry["suggestion"], inquiry["window_days"]) == (None, None)
    url = f"/api/v1/inquiries/{inquiry['id']}/decision"
    assert (await client.post(url, json={"eligible": True}, headers=kif)).status_code == 422
    decided = await client.post(
        url, json={"eligible": True, "justification": "Kendt forløb"}, headers=kif
    )
    assert decided.status_code == 201


async def test_the_kf_units_holding_cases_on_the_person_see_the_inquiry_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: "skal kriminalforsorgen sikre, at der sker intern orientering mellem
    fængsler, arrester, udslusningsfængsler og KiF"; dates come from the cases."""
    body = case_body(units.kif, released_on="2026-11-01", detained_since="2026-10-01")
    created = await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
    assert created.status_code == 201
    kif = auth("kif", units.kif)
    inquiry = await inquire(
        client,
        kif,
        cpr=body["subject"]["cpr"],
        received_on="2026-11-10",
        detained_since=None,
        released_on=None,
    )
    assert (inquiry.json()["suggestion"], inquiry.json()["window_days"]) == ("inside", 31)
    seen = await client.get("/api/v1/inquiries", headers=auth("arrest", units.arrest))
    assert [i["id"] for i in seen.json()["items"]] == [inquiry.json()["id"]]
    assert seen.json()["items"][0]["cpr"].endswith("-XXXX")
    other = await client.get("/api/v1/inquiries", headers=auth("arrest", units.other_arrest))
    assert other.json()["items"] == []


async def test_an_arrest_or_participant_cannot_decide_and_a_participant_names_its_kif(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Only the KiF unit handling the inquiry decides; a participant says which KiF it asks."""
    participant = auth("participant", units.participant)
    assert (await inquire(client, participant)).status_code == 422
    asked = await inquire(client, participant, kif_unit=units.kif)
    assert asked.status_code == 201
    url = f"/api/v1/inquiries/{asked.json()['id']}/decision"
    body = {"eligible": True, "justification": "ok"}
    assert (
        await client.post(url, json=body, headers=auth("arrest", units.arrest))
    ).status_code == 403
    assert (await client.post(url, json=body, headers=participant)).status_code == 403
    assert (
        await client.post(url, json=body, headers=auth("kif", units.other_kif))
    ).status_code == 404


async def test_the_journal_verifies_after_a_mixed_run_of_versions_and_decisions(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Decisions are journal entries beside list versions; the whole verifies."""
    kif = auth("kif", units.kif)
    meeting = await new_meeting(client, auth, units)
    await change_list(
        client, auth, units, meeting, add=[await case_for_meeting(client, auth, units)]
    )
    inquiry = (await inquire(client, kif)).json()
    await client.post(
        f"/api/v1/inquiries/{inquiry['id']}/decision", json={"eligible": True}, headers=kif
    )
    kinds: set[str] = set()
    after: int | None = 0
    while after is not None:
        page = (
            await client.get(
                "/api/v1/audit/journal",
                params={"after_seq": after, "limit": 1000},
                headers=auth("auditor", units.auditor),
            )
        ).json()
        kinds |= {e["kind"] for e in page["items"]}
        after = page["next_after_seq"]
    assert {"document-version", "inquiry-decision"} <= kinds
    verified = await client.get("/api/v1/audit/verify", headers=auth("auditor", units.auditor))
    assert verified.json()["ok"] is True


WINDOW_FIELDS = ("suggestion", "window_days", "detained_since", "released_on", "policy")


async def test_another_kif_unit_asking_about_a_person_gets_the_answer_of_an_unknown_cpr(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Finding 1: kif-syddanmark asking about a person of a kif-hovedstaden case learnt the
    case's detention dates; now its answer is that for a CPR no case holds, and nothing of
    the other unit's case was read (no access-log row)."""
    body = case_body(units.kif, detained_since="2026-10-01", released_on="2026-11-01")
    created = await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
    assert created.status_code == 201
    other = auth("kif", units.other_kif, sub="probing-kif")
    undated = {"detained_since": None, "released_on": None, "received_on": "2026-11-10"}
    probed = await inquire(client, other, cpr=body["subject"]["cpr"], **undated)
    unknown = await inquire(client, other, cpr=random_cpr(), **undated)
    assert probed.status_code == unknown.status_code == 201
    assert [probed.json()[f] for f in WINDOW_FIELDS] == [unknown.json()[f] for f in WINDOW_FIELDS]
    assert probed.json()["suggestion"] is None
    rows = await access_log(client, auth("auditor", units.auditor))
    assert [r for r in rows if r["sub"] == "probing-kif"] == []


async def test_an_inquiry_answered_from_a_case_is_access_logged_with_its_purpose(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Finding 1: an inquiry whose dates came from a case of the caller's unit is a read of
    the person's data: one access-log row, found by the person's CPR, purpose inquiry."""
    body = case_body(units.kif, detained_since="2026-10-01", released_on="2026-11-01")
    await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
    kif = auth("kif", units.kif, sub="answering-kif")
    undated = {"detained_since": None, "released_on": None, "received_on": "2026-11-10"}
    answered = await inquire(client, kif, cpr=body["subject"]["cpr"], **undated)
    assert (answered.json()["suggestion"], answered.json()["released_on"]) == (
        "inside",
        "2026-11-01",
    )
    searched = await client.post(
        "/api/v1/audit/access-log/search",
        json={"cpr": body["subject"]["cpr"]},
        headers=auth("auditor", units.auditor),
    )
    rows = [r for r in searched.json()["items"] if r["sub"] == "answering-kif"]
    assert [(r["resource"], r["resource_id"], r["subject_count"], r["purpose"]) for r in rows] == [
        ("inquiry", answered.json()["id"], 1, "inquiry")
    ]


async def test_a_participants_inquiry_gets_a_suggestion_from_its_meetings_cases_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Guide 3.3.7 ("Tidsafgrænsning"): "Har den pågældende eksempelvis været indsat i en
    måned, vil en henvendelse fra kommunen to uger efter løsladelsen blive betragtet som
    værende umiddelbart i forbindelse med løsladelsen": the municipality's own inquiry gets
    the suggestion from the cases of the meetings it takes part in (KF's dates stay KF's),
    and not from a case of any other meeting."""
    meeting = await taking_part(client, auth, units, keys)
    dates = {"detained_since": "2026-10-01", "released_on": "2026-11-01"}
    ours = case_body(units.kif, meeting_id=meeting, **dates)
    elsewhere = case_body(units.kif, **dates)
    for body in (ours, elsewhere):
        made = await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
        assert made.status_code == 201, made.text
    participant = auth("participant", units.participant)
    undated = {"detained_since": None, "released_on": None, "kif_unit": units.kif}
    asked = await inquire(
        client, participant, cpr=ours["subject"]["cpr"], received_on="2026-11-15", **undated
    )
    assert asked.status_code == 201, asked.text
    assert (asked.json()["suggestion"], asked.json()["window_days"]) == ("inside", 31)
    assert (asked.json()["detained_since"], asked.json()["released_on"]) == (None, None)
    other = await inquire(
        client, participant, cpr=elsewhere["subject"]["cpr"], received_on="2026-11-15", **undated
    )
    assert (other.json()["suggestion"], other.json()["window_days"]) == (None, None)
    given = await inquire(client, participant, kif_unit=units.kif)  # dates in the request
    assert given.json()["suggestion"] == "inside"
    as_kif = await client.get("/api/v1/inquiries", headers=auth("kif", units.kif))
    mine = {i["id"]: i for i in as_kif.json()["items"]}
    assert mine[asked.json()["id"]]["released_on"] == "2026-11-01"


async def test_the_inquiries_are_paged_with_a_fixed_number_of_queries(
    client: httpx.AsyncClient, auth: Auth, units: Units, engine: AsyncEngine
) -> None:
    """Issue 7, size limits: GET /inquiries is paged like GET /cases, and a page costs the
    same number of SQL statements whether it holds two inquiries or twelve."""
    kif = auth("kif", units.kif)
    decided = 0
    for _ in range(12):
        made = (await inquire(client, kif)).json()
        if decided < 6:
            url = f"/api/v1/inquiries/{made['id']}/decision"
            await client.post(url, json={"eligible": True}, headers=kif)
            decided += 1

    async def statements(limit: int) -> tuple[int, dict[str, Any]]:
        counted: list[str] = []

        def count(*_: Any) -> None:
            counted.append("statement")

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            page = await client.get("/api/v1/inquiries", params={"limit": limit}, headers=kif)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert page.status_code == 200, page.text
        return len(counted), page.json()

    small, two = await statements(2)
    large, twelve = await statements(12)
    assert (len(two["items"]), two["next_offset"]) == (2, 2)
    assert len(twelve["items"]) == 12
    assert sum(len(i["decisions"]) for i in twelve["items"]) == 6
    assert small == large
    rest = await client.get("/api/v1/inquiries", params={"offset": 12}, headers=kif)
    assert (rest.json()["items"], rest.json()["next_offset"]) == ([], None)
    refused = await client.get("/api/v1/inquiries", params={"limit": 201}, headers=kif)
    assert refused.status_code == 400
