"""Exchanges of information, telling the detainee, and the note duty (guide 3.3.7)."""

from __future__ import annotations

from typing import Any

import httpx

from support.data import Units, case_body
from support.flows import Auth

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def exchange(client: httpx.AsyncClient, auth: Auth, units: Units) -> str:
    created = await client.post(
        "/api/v1/cases", json=case_body(units.kif), headers=auth("arrest", units.arrest)
    )
    made = await client.post(
        f"/api/v1/cases/{created.json()['id']}/exchanges",
        headers=auth("arrest", units.arrest),
        json={
            "occurred_on": "2026-11-20",
            "agencies": ["municipality", "police"],
            "summary": "Drøftet med kommunen uden for møde",
        },
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def record(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    exchange_id: str,
    kind: str,
    body: dict[str, Any],
) -> httpx.Response:
    return await client.post(f"/api/v1/exchanges/{exchange_id}/{kind}", json=body, headers=headers)


async def test_not_telling_the_detainee_needs_reason_manager_and_date_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: leaving out telling the detainee should be discussed with the nearest
    manager before it is decided."""
    exchange_id = await exchange(client, auth, units)
    arrest = auth("arrest", units.arrest)
    for body in (
        {"told": False},
        {"told": False, "reason": "Beskyttelse"},
        {"told": False, "reason": "Beskyttelse", "manager": "Leder A"},
    ):
        refused = await record(client, arrest, exchange_id, "notification", body)
        assert refused.status_code == 422
        assert refused.json()["type"] == PROBLEMS + "notification-omission-needs-manager"
    done = await record(
        client,
        arrest,
        exchange_id,
        "notification",
        {
            "told": False,
            "reason": "Beskyttelse",
            "manager": "Leder A",
            "discussed_on": "2026-11-21",
        },
    )
    assert (done.status_code, done.json()["number"]) == (201, 1)


async def test_telling_the_detainee_records_when_and_how_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: the detainee is as a rule told; the record says when and how."""
    exchange_id = await exchange(client, auth, units)
    arrest = auth("arrest", units.arrest)
    missing = await record(client, arrest, exchange_id, "notification", {"told": True})
    assert missing.status_code == 422
    told = await record(
        client,
        arrest,
        exchange_id,
        "notification",
        {"told": True, "told_on": "2026-11-22", "how": "Samtale"},
    )
    assert told.status_code == 201
    corrected = await record(
        client,
        arrest,
        exchange_id,
        "notification",
        {"told": True, "told_on": "2026-11-23", "how": "Brev"},
    )
    assert (corrected.json()["number"], corrected.json()["corrects"]) == (2, 1)


async def test_the_note_duty_records_where_or_why_not_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7 ("Notatpligt"): in the action plan, the person journal, or not with a
    reason; open duties list what is still missing."""
    exchange_id = await exchange(client, auth, units)
    arrest = auth("arrest", units.arrest)
    open_before = await client.get("/api/v1/exchanges", params={"open": "true"}, headers=arrest)
    assert [e["id"] for e in open_before.json()["items"]] == [exchange_id]
    assert (await record(client, arrest, exchange_id, "note", {"where": "none"})).status_code == 422
    assert (
        await record(client, arrest, exchange_id, "note", {"where": "handleplan"})
    ).status_code == 201
    still = await client.get("/api/v1/exchanges", params={"open": "true"}, headers=arrest)
    assert [(e["note_recorded"], e["notification_recorded"]) for e in still.json()["items"]] == [
        (True, False)
    ]
    await record(
        client,
        arrest,
        exchange_id,
        "notification",
        {"told": True, "told_on": "2026-11-22", "how": "Samtale"},
    )
    done = await client.get("/api/v1/exchanges", params={"open": "true"}, headers=arrest)
    assert done.json()["items"] == []


async def test_exchanges_belong_to_the_units_of_their_case(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Another jail's staff cannot record on or see this case's exchanges."""
    exchange_id = await exchange(client, auth, units)
    other = auth("arrest", units.other_arrest)
    refused = await record(client, other, exchange_id, "note", {"where": "handleplan"})
    assert refused.status_code == 404
    kif_sees = await client.get(
        "/api/v1/exchanges", params={"open": "true"}, headers=auth("kif", units.kif)
    )
    assert exchange_id in [e["id"] for e in kif_sees.json()["items"]]
