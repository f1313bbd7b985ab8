"""Steps of a whole case over HTTP, shared by the tests of later stages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from support.data import Units, case_body

Auth = Callable[..., dict[str, str]]


async def new_meeting(client: httpx.AsyncClient, auth: Auth, units: Units, **changes: Any) -> str:
    body = {
        "municipality_code": 101,
        "police_district": "koebenhavn",
        "scheduled_for": "2026-12-10T10:00:00+01:00",
        "title": "KSP-møde København",
    }
    body.update(changes)
    response = await client.post("/api/v1/meetings", json=body, headers=auth("kif", units.kif))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def case_for_meeting(
    client: httpx.AsyncClient, auth: Auth, units: Units, **changes: Any
) -> str:
    """A case submitted by the jail and triaged by KiF to a meeting."""
    created = await client.post(
        "/api/v1/cases", json=case_body(units.kif, **changes), headers=auth("arrest", units.arrest)
    )
    assert created.status_code == 201, created.text
    case_id = str(created.json()["id"])
    triaged = await client.post(
        f"/api/v1/cases/{case_id}/triage",
        json={"decision": "meeting"},
        headers=auth("kif", units.kif),
    )
    assert triaged.status_code == 200, triaged.text
    return case_id


async def change_list(
    client: httpx.AsyncClient, auth: Auth, units: Units, meeting_id: str, **body: Any
) -> httpx.Response:
    payload = {"reason": "Opdateret før mødet", **body}
    return await client.post(
        f"/api/v1/meetings/{meeting_id}/list", json=payload, headers=auth("kif", units.kif)
    )


async def access_log(client: httpx.AsyncClient, auditor: dict[str, str]) -> list[dict[str, Any]]:
    """Every access-log row, page by page."""
    rows: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = await client.get(
            "/api/v1/audit/access-log", params={"limit": 500, "offset": offset}, headers=auditor
        )
        rows += page.json()["items"]
        offset = page.json()["next_offset"]
    return rows


async def take_part(
    client: httpx.AsyncClient, kif: dict[str, str], meeting_id: str, recipient_id: str
) -> None:
    """The recipient becomes one of the meeting's participants."""
    added = await client.post(
        f"/api/v1/meetings/{meeting_id}/participants",
        json={"recipient_id": recipient_id},
        headers=kif,
    )
    assert added.status_code == 201, added.text
