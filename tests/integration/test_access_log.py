"""Issue 2 "Access log": every read of personal data appends who, when, what and how many
subjects; auditors read it by time, or by subject with the CPR in the body."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx

from support.clock import FixedClock
from support.data import Units, case_body, random_cpr


async def submit(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units, cpr: str
) -> str:
    body = case_body(units.kif, subject={"name": "Logget Person", "cpr": cpr})
    response = await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
    assert response.status_code == 201
    return str(response.json()["id"])


async def reads_by(
    client: httpx.AsyncClient, auditor: dict[str, str], sub: str, since: dt.datetime
) -> list[dict[str, object]]:
    response = await client.get(
        "/api/v1/audit/access-log",
        params={"since": since.isoformat(), "limit": 500},
        headers=auditor,
    )
    assert response.status_code == 200
    return [item for item in response.json()["items"] if item["sub"] == sub]


async def test_every_case_read_and_list_is_logged_with_who_what_and_how_many(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
    clock: FixedClock,
) -> None:
    """A case read logs one subject; a list logs how many subjects it showed."""
    start = clock.now() + dt.timedelta(days=400)
    clock.set(start)
    case_ids = [await submit(client, auth, units, random_cpr()) for _ in range(2)]
    reader = auth("kif", units.kif, sub="reader-1")
    await client.get(f"/api/v1/cases/{case_ids[0]}", headers=reader)
    await client.get("/api/v1/cases", headers=reader)
    entries = await reads_by(client, auth("auditor", units.auditor), "reader-1", start)
    assert [(e["resource"], e["resource_id"], e["subject_count"]) for e in entries] == [
        ("case", case_ids[0], 1),
        ("cases", None, 2),
    ]
    assert {(e["role"], e["unit"]) for e in entries} == {("kif", units.kif)}
    assert all(e["at"].startswith(start.date().isoformat()) for e in entries)


async def test_the_access_log_is_searched_by_subject_with_the_cpr_in_the_body(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
) -> None:
    """POST /audit/access-log/search finds every read that showed the person."""
    cpr = random_cpr()
    case_id = await submit(client, auth, units, cpr)
    await submit(client, auth, units, random_cpr())
    await client.get(f"/api/v1/cases/{case_id}", headers=auth("kif", units.kif, sub="s-1"))
    await client.get("/api/v1/cases", headers=auth("arrest", units.arrest, sub="s-2"))
    auditor = auth("auditor", units.auditor, sub="auditor-1")
    found = await client.post("/api/v1/audit/access-log/search", json={"cpr": cpr}, headers=auditor)
    assert found.status_code == 200
    subs = [item["sub"] for item in found.json()["items"] if item["sub"] in {"s-1", "s-2"}]
    assert subs == ["s-1", "s-2"]
    again = await client.post("/api/v1/audit/access-log/search", json={"cpr": cpr}, headers=auditor)
    searches = [i for i in again.json()["items"] if i["resource"] == "access-log-search"]
    assert [s["sub"] for s in searches][-1:] == ["auditor-1"]


async def test_a_time_filter_without_an_offset_is_refused(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
) -> None:
    """Times are ISO 8601 with an offset (CONTRACT.md); a naive time is a 422."""
    response = await client.get(
        "/api/v1/audit/access-log",
        params={"since": "2026-11-01T00:00:00"},
        headers=auth("auditor", units.auditor),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "since", "message": "must carry a UTC offset"}]


async def test_searching_with_an_invalid_cpr_is_a_422_without_the_value(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
) -> None:
    """An impossible CPR number in the search body is refused, not echoed."""
    response = await client.post(
        "/api/v1/audit/access-log/search",
        json={"cpr": "3102901234"},
        headers=auth("auditor", units.auditor),
    )
    assert response.status_code == 422
    assert "3102901234" not in response.text


async def purposes(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units, cpr: str
) -> list[tuple[str, str, str]]:
    found = await client.post(
        "/api/v1/audit/access-log/search", json={"cpr": cpr}, headers=auth("auditor", units.auditor)
    )
    assert found.status_code == 200
    return [(i["sub"], i["resource"], i["purpose"]) for i in found.json()["items"]]


async def test_every_access_log_row_records_the_purpose_derived_from_its_action(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """Directive 2016/680 art. 25(1): "The logs of consultation and disclosure shall make it
    possible to establish the justification for, and the date and time of, such
    operations": every read is logged with its purpose, by default that of its action."""
    cpr = random_cpr()
    case_id = await submit(client, auth, units, cpr)
    await client.get(f"/api/v1/cases/{case_id}", headers=auth("kif", units.kif, sub="p-1"))
    await client.get("/api/v1/inquiries", headers=auth("arrest", units.arrest, sub="p-2"))
    await client.post(
        "/api/v1/inquiries",
        json={"cpr": cpr, "from_agency": "police", "received_on": "2026-11-20"},
        headers=auth("kif", units.kif, sub="p-3"),
    )
    await client.get("/api/v1/inquiries", headers=auth("arrest", units.arrest, sub="p-4"))
    found = await purposes(client, auth, units, cpr)
    assert [f for f in found if f[0].startswith("p-")] == [
        ("p-1", "case", "case-handling"),
        ("p-3", "inquiry", "inquiry"),
        ("p-4", "inquiries", "inquiry"),
    ]
    again = await purposes(client, auth, units, cpr)
    assert again[-1][1:] == ("access-log-search", "audit")


async def test_the_purpose_header_refines_the_purpose_of_the_read(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """Directive 2016/680 art. 25(1): the logs "make it possible to establish the
    justification for" a consultation; X-KSP-Purpose states it from the same list."""
    cpr = random_cpr()
    case_id = await submit(client, auth, units, cpr)
    headers = {**auth("kif", units.kif, sub="h-1"), "X-KSP-Purpose": "meeting-preparation"}
    read = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert read.status_code == 200
    assert [f for f in await purposes(client, auth, units, cpr) if f[0] == "h-1"] == [
        ("h-1", "case", "meeting-preparation")
    ]
    page = await client.get("/api/v1/audit/access-log", headers=auth("auditor", units.auditor))
    assert all("purpose" in item for item in page.json()["items"])


async def test_a_purpose_outside_the_list_is_a_400_naming_the_header(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """A purpose the service does not know is refused before anything is read or logged."""
    cpr = random_cpr()
    case_id = await submit(client, auth, units, cpr)
    headers = {**auth("kif", units.kif, sub="h-2"), "X-KSP-Purpose": "curiosity"}
    refused = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert refused.status_code == 400
    assert refused.json()["type"].endswith("/validation")
    assert [e["field"] for e in refused.json()["errors"]] == ["X-KSP-Purpose"]
    assert "curiosity" not in refused.text
    assert [f for f in await purposes(client, auth, units, cpr) if f[0] == "h-2"] == []
