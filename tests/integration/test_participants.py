"""Removing a meeting's participant (issue 7): ``DELETE /meetings/{id}/participants/{rid}``."""

from __future__ import annotations

import uuid

import httpx
from litestar import Litestar

from support.clock import FixedClock
from support.data import Units
from support.flows import Auth, case_for_meeting, change_list
from support.keys import KeyMaker
from support.participants import circulate_to, deliver_all, worker_for
from support.smtp import SmtpServer

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def test_a_removed_participant_no_longer_receives_circulations(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """204, gone from the participants, and the next version goes to the others only."""
    sent = await circulate_to(client, auth, units, keys, 2)
    kif = auth("kif", units.kif)
    version = (
        await client.get(f"/api/v1/documents/{sent.document_id}/versions/1", headers=kif)
    ).json()
    meeting = version["meeting_id"]
    participants = await client.get(f"/api/v1/meetings/{meeting}/participants", headers=kif)
    leaving = next(p for p in participants.json()["items"] if p["email"] == sent.emails[0])
    removed = await client.delete(
        f"/api/v1/meetings/{meeting}/participants/{leaving['id']}", headers=kif
    )
    assert removed.status_code == 204, removed.text
    listed = await client.get(f"/api/v1/meetings/{meeting}/participants", headers=kif)
    assert [p["email"] for p in listed.json()["items"]] == [sent.emails[1]]
    other = await case_for_meeting(client, auth, units)
    changed = await change_list(client, auth, units, meeting, add=[other], base_version=1)
    assert changed.status_code == 201, changed.text
    second = await client.post(
        f"/api/v1/documents/{sent.document_id}/versions/2/circulate", headers=kif
    )
    assert second.status_code == 202, second.text
    assert [r["email"] for r in second.json()["recipients"]] == [sent.emails[1]]
    await deliver_all(worker_for(app, smtp, clock))
    to_leaver = [m for m in smtp.messages if m.recipients == [sent.emails[0]]]
    assert len(to_leaver) == 1  # version 1 only, sent before the removal


async def test_removing_someone_who_does_not_take_part_is_a_404(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Not a participant (removed already, never added, unknown id, or another unit's
    meeting): 404 not-found."""
    sent = await circulate_to(client, auth, units, keys, 1)
    kif = auth("kif", units.kif)
    meeting = (
        await client.get(f"/api/v1/documents/{sent.document_id}/versions/1", headers=kif)
    ).json()["meeting_id"]
    (participant,) = (
        await client.get(f"/api/v1/meetings/{meeting}/participants", headers=kif)
    ).json()["items"]
    url = f"/api/v1/meetings/{meeting}/participants/{participant['id']}"
    other_kif = auth("kif", units.other_kif)
    assert (await client.delete(url, headers=other_kif)).status_code == 404
    assert (await client.delete(url, headers=kif)).status_code == 204
    for target in (url, f"/api/v1/meetings/{meeting}/participants/{uuid.uuid4()}"):
        missing = await client.delete(target, headers=kif)
        assert missing.status_code == 404, missing.text
        assert missing.json()["type"] == PROBLEMS + "not-found"
