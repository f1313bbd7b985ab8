"""Exchanges of information, telling the detainee, and the note duty (guide 3.3.7)."""

from __future__ import annotations

from typing import Any

import httpx

from support.data import Units, case_body
from support.flows import Auth, access_log

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


TOLD = {"told": True, "told_on": "2026-11-22", "how": "Samtale"}
NOT_TOLD = {
    "told": False,
    "reason": "Beskyttelseshensyn",
    "manager": "Leder A",
    "discussed_on": "2026-11-21",
}


async def test_a_closed_exchange_is_read_back_with_its_notification_decision_and_note(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: whether the detainee was told (and if not, why, with which manager)
    and where the exchange was noted can be read back once both duties are done, by the
    units of the case, each read access-logged."""
    exchange_id = await exchange(client, auth, units)
    arrest = auth("arrest", units.arrest, sub="exchange-reader")
    await record(client, arrest, exchange_id, "notification", TOLD)
    await record(client, arrest, exchange_id, "notification", NOT_TOLD)  # corrects it
    await record(client, arrest, exchange_id, "note", {"where": "handleplan"})
    read = await client.get(f"/api/v1/exchanges/{exchange_id}", headers=arrest)
    assert read.status_code == 200, read.text
    shown = read.json()
    assert shown["summary"] == "Drøftet med kommunen uden for møde"
    assert (shown["notification_recorded"], shown["note_recorded"]) == (True, True)
    notification = {k: v for k, v in shown["notification"].items() if k != "recorded_at"}
    assert notification == {
        "number": 2,
        "told": False,
        "told_on": None,
        "how": None,
        "reason": "Beskyttelseshensyn",
        "manager": "Leder A",
        "discussed_on": "2026-11-21",
        "recorded_by": "exchange-reader",
    }
    assert (shown["note"]["where"], shown["note"]["number"]) == ("handleplan", 1)
    kif = auth("kif", units.kif)
    listed = await client.get("/api/v1/exchanges", headers=kif)
    assert exchange_id in [e["id"] for e in listed.json()["items"]]
    assert listed.json()["limit"] == 50
    closed = await client.get("/api/v1/exchanges", params={"open": "false"}, headers=kif)
    assert exchange_id in [e["id"] for e in closed.json()["items"]]
    still_open = await client.get("/api/v1/exchanges", params={"open": "true"}, headers=kif)
    assert exchange_id not in [e["id"] for e in still_open.json()["items"]]
    other = await client.get(
        f"/api/v1/exchanges/{exchange_id}", headers=auth("arrest", units.other_arrest)
    )
    assert (other.status_code, other.json()["type"]) == (404, PROBLEMS + "not-found")
    log = await access_log(client, auth("auditor", units.auditor))
    reads = [r for r in log if r["sub"] == "exchange-reader"]
    assert [(r["resource"], r["resource_id"], r["subject_count"], r["purpose"]) for r in reads] == [
        ("exchange", exchange_id, 1, "case-handling")
    ]


async def test_the_exchanges_are_paged(client: httpx.AsyncClient, auth: Auth, units: Units) -> None:
    """GET /exchanges without open lists every exchange of the unit's cases, a page at a
    time, like GET /cases."""
    made = [await exchange(client, auth, units) for _ in range(3)]
    arrest = auth("arrest", units.arrest)
    first = await client.get("/api/v1/exchanges", params={"limit": 2}, headers=arrest)
    rest = await client.get("/api/v1/exchanges", params={"limit": 2, "offset": 2}, headers=arrest)
    assert first.json()["next_offset"] == 2
    assert rest.json()["next_offset"] is None
    paged = [e["id"] for e in first.json()["items"] + rest.json()["items"]]
    assert sorted(paged) == sorted(made)  # the test clock is fixed: same time, then by id
    assert all(e["notification"] is None for e in first.json()["items"])
    too_many = await client.get("/api/v1/exchanges", params={"limit": 201}, headers=arrest)
    assert too_many.status_code == 400


async def test_the_detainee_is_told_after_the_exchange_not_before_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: "Varetægtsarrestanten skal i udgangspunktet altid orienteres om
    udvekslinger af oplysninger i sin sag": telling is about an exchange that happened, so
    told_on before its occurred_on (2026-11-20) is refused."""
    exchange_id = await exchange(client, auth, units)
    arrest = auth("arrest", units.arrest)
    early = await record(
        client, arrest, exchange_id, "notification", {**TOLD, "told_on": "2026-11-19"}
    )
    assert (early.status_code, early.json()["type"]) == (422, PROBLEMS + "validation")
    assert [e["field"] for e in early.json()["errors"]] == ["told_on"]
    same_day = await record(
        client, arrest, exchange_id, "notification", {**TOLD, "told_on": "2026-11-20"}
    )
    assert same_day.status_code == 201


async def test_a_detainee_who_was_told_needs_no_managers_discussion_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: "Hvis særlige hensyn vurderes at tale imod, fx beskyttelseshensyn, kan
    orienteringen undlades. I disse tilfælde bør overvejelsen drøftes med nærmeste leder":
    reason, manager and date belong to a decision not to tell; with told: true each is
    refused by name."""
    exchange_id = await exchange(client, auth, units)
    arrest = auth("arrest", units.arrest)
    for field, value in (
        ("manager", "Leder A"),
        ("reason", "Beskyttelse"),
        ("discussed_on", "2026-11-21"),
    ):
        refused = await record(client, arrest, exchange_id, "notification", {**TOLD, field: value})
        assert (refused.status_code, refused.json()["type"]) == (422, PROBLEMS + "validation")
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    listed = await client.get(f"/api/v1/exchanges/{exchange_id}", headers=arrest)
    assert listed.json()["notification"] is None
