"""Inputs and races that must end in a clear 4xx, never a 500 or a silent overwrite."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.middleware import _redacted
from ksp.db.tables import idempotency_keys
from support.data import Units, case_body
from support.flows import Auth

MEETING = {
    "municipality_code": 101,
    "police_district": "koebenhavn",
    "scheduled_for": "2026-12-10T10:00:00+01:00",
    "title": "Møde",
}


async def test_control_characters_are_refused_where_they_would_break_storage_or_mail(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A line break in a meeting title (it becomes a mail subject) or a NUL in any text is a
    422, not a 500 later."""
    kif, arrest = auth("kif", units.kif), auth("arrest", units.arrest)
    title = await client.post(
        "/api/v1/meetings", json={**MEETING, "title": "a\r\nBcc: x"}, headers=kif
    )
    assert (title.status_code, title.json()["errors"][0]["field"]) == (422, "title")
    for field, value in (
        ("concern", "ok\x00"),
        ("subject", {"name": "Anders\x00Bondesen", "cpr": "010190-1234"}),
    ):
        response = await client.post(
            "/api/v1/cases", json=case_body(units.kif, **{field: value}), headers=arrest
        )
        assert response.status_code == 422, field
    far = await client.post(
        "/api/v1/meetings",
        json={**MEETING, "scheduled_for": "9999-12-31T23:30:00-05:00"},
        headers=kif,
    )
    assert far.status_code == 422


async def test_two_concurrent_triages_of_one_case_give_one_winner_and_one_409(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7: a case is triaged once; a race does not silently overwrite the decision."""
    created = await client.post(
        "/api/v1/cases", json=case_body(units.kif), headers=auth("arrest", units.arrest)
    )
    url = f"/api/v1/cases/{created.json()['id']}/triage"
    kif = auth("kif", units.kif)
    answers = await asyncio.gather(
        client.post(url, json={"decision": "meeting"}, headers=kif),
        client.post(url, json={"decision": "rejected", "reason": "Nej"}, headers=kif),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["status"]
    read = await client.get(f"/api/v1/cases/{created.json()['id']}", headers=kif)
    assert read.json()["status"] == winner


async def test_idempotency_keys_are_stored_as_keyed_hashes(
    client: httpx.AsyncClient, engine: AsyncEngine, auth: Auth, units: Units
) -> None:
    """A client that builds its key from a CPR number does not put the number in the database."""
    key = "0101901234-2026-11-27"
    headers = {**auth("arrest", units.arrest, sub="hashing"), "Idempotency-Key": key}
    assert (
        await client.post("/api/v1/cases", json=case_body(units.kif), headers=headers)
    ).status_code == 201
    async with engine.connect() as connection:
        stored = (
            (
                await connection.execute(
                    select(idempotency_keys.c.key).where(idempotency_keys.c.sub == "hashing")
                )
            )
            .scalars()
            .all()
        )
    assert len(stored) == 1
    assert key not in stored[0]
    assert len(stored[0]) == 64


def test_log_lines_keep_route_words_and_ids_but_not_other_path_segments() -> None:
    """A CPR number typed into a URL by mistake does not reach the log."""
    assert _redacted("/api/v1/cases/0101901234") == "/api/v1/cases/<redacted>"
    kept = "/api/v1/documents/6f1c2a9e-1b2c-4d3e-8f90-0123456789ab/versions/2"
    assert _redacted(kept) == kept
