"""Re-circulation only on purpose (issue 7): a version already circulated is sent again only
with ``{"again": true, "reason": ...}``, and the reason is recorded."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.db.tables import circulations
from support.data import Units
from support.flows import Auth
from support.keys import KeyMaker
from support.participants import circulate_to

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def test_circulating_a_version_again_without_saying_so_is_a_409_already_circulated(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Re-circulating the same version used to send everything again without a word."""
    sent = await circulate_to(client, auth, units, keys, 1)
    assert sent.response.status_code == 202, sent.response.text
    url = f"/api/v1/documents/{sent.document_id}/versions/1/circulate"
    kif = auth("kif", units.kif)
    for body in (None, {}, {"again": False}):
        again = await client.post(url, headers=kif, json=body)
        assert again.status_code == 409, again.text
        assert again.json()["type"] == PROBLEMS + "already-circulated"


async def test_circulating_again_on_purpose_sends_it_again_and_records_the_reason(
    client: httpx.AsyncClient, engine: AsyncEngine, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """With ``again`` and a reason: 202, every participant queued again, the reason kept
    (encrypted in the database) and shown with the circulation."""
    sent = await circulate_to(client, auth, units, keys, 2)
    url = f"/api/v1/documents/{sent.document_id}/versions/1/circulate"
    kif = auth("kif", units.kif)
    reason = "Kommunens modtager mistede den første mail"
    again = await client.post(url, headers=kif, json={"again": True, "reason": reason})
    assert again.status_code == 202, again.text
    assert again.json()["again_reason"] == reason
    assert sorted(r["email"] for r in again.json()["recipients"]) == sorted(sent.emails)
    assert again.json()["circulation_id"] != sent.response.json()["circulation_id"]
    status = await client.get(f"/api/v1/circulations/{again.json()['circulation_id']}", headers=kif)
    assert status.json()["again_reason"] == reason
    first = await client.get(
        f"/api/v1/circulations/{sent.response.json()['circulation_id']}", headers=kif
    )
    assert first.json()["again_reason"] is None
    async with engine.connect() as connection:
        stored = await connection.scalar(
            select(circulations.c.again_reason_ct).where(
                circulations.c.id == again.json()["circulation_id"]
            )
        )
    assert stored is not None
    assert reason.encode() not in bytes(stored)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"again": True}, "reason"),
        ({"again": True, "reason": "  "}, "reason"),
        ({"again": True, "reason": "Igen\u202e"}, "reason"),
        ({"reason": "Igen"}, "again"),
    ],
)
async def test_again_needs_a_reason_and_a_reason_needs_again(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    body: dict[str, object],
    field: str,
) -> None:
    """A reason is required with ``again``; a reason alone says nothing: 422 naming the field."""
    sent = await circulate_to(client, auth, units, keys, 1)
    refused = await client.post(
        f"/api/v1/documents/{sent.document_id}/versions/1/circulate",
        headers=auth("kif", units.kif),
        json=body,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == PROBLEMS + "validation"
    assert [e["field"] for e in refused.json()["errors"]] == [field]


async def test_a_malformed_circulation_body_is_a_400(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """A wrong type or an unknown field in the body is a 400 before anything is sealed."""
    sent = await circulate_to(client, auth, units, keys, 1)
    url = f"/api/v1/documents/{sent.document_id}/versions/1/circulate"
    wrong_type = await client.post(
        url, headers=auth("kif", units.kif), json={"again": "yes", "reason": "x"}
    )
    assert wrong_type.status_code == 400, wrong_type.text
    assert wrong_type.json()["type"] == PROBLEMS + "validation"
    unknown = await client.post(url, headers=auth("kif", units.kif), json={"force": True})
    assert unknown.status_code == 400, unknown.text
    assert unknown.json()["type"] == PROBLEMS + "validation"
