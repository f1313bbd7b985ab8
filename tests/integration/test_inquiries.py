"""Inquiries about released people and KiF's decisions (guide 3.3.7, "Tidsafgrænsning")."""

from __future__ import annotations

from typing import Any

import httpx

from support.data import Units, case_body, random_cpr
from support.flows import Auth, case_for_meeting, change_list, new_meeting

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
