"""Migration 0006 on a journal written before it: the tree nodes are computed from the
stored entries, so old entries get correct proofs, and appends go on from there."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import make_settings, token_headers
from ksp.api.app import create_app
from ksp.bootstrap import journal_signer
from ksp.db.migrate import upgrade
from ksp.journal.checkpoint import Checkpoint, CheckpointSigner, verify_checkpoint
from ksp.journal.entry import GENESIS, EntryHeader, encode_header, entry_hash
from ksp.journal.merkle import Frontier
from ksp.journal.proofs import verify_consistency, verify_inclusion
from ksp.settings import Settings
from support.clock import FixedClock
from support.data import fresh_units
from support.flows import case_for_meeting, change_list, new_meeting
from support.own_database import own_database

OLD_ENTRIES = 13
PROOFS = "/api/v1/audit/proofs"


@dataclass
class OldJournal:
    client: httpx.AsyncClient
    settings: Settings
    leaves: list[bytes]


async def write_old_journal(engine: AsyncEngine, signer: CheckpointSigner) -> list[bytes]:
    """Entries and checkpoints as the service wrote them before migration 0006."""
    frontier, prev, leaves = Frontier(), GENESIS, []
    async with engine.begin() as connection:
        for seq in range(1, OLD_ENTRIES + 1):
            header = encode_header(
                EntryHeader(
                    seq=seq,
                    kind="document-version",
                    ref=f"old/{seq}",
                    author="kif-old",
                    created_at="2026-11-27T10:00:00+00:00",
                    ciphertext_sha256=hashlib.sha256(b"x").hexdigest(),
                    plaintext_sha256=hashlib.sha256(b"x").hexdigest(),
                    prev=prev.hex(),
                )
            )
            prev = entry_hash(header)
            leaves.append(prev)
            frontier.append(prev)
            await connection.execute(
                text("INSERT INTO journal_entries VALUES (:s, :h, :e, :c)"),
                {"s": seq, "h": header, "e": prev, "c": b"x"},
            )
            await connection.execute(
                text("INSERT INTO journal_checkpoints VALUES (:s, :r, :n, :f)"),
                {
                    "s": seq,
                    "r": frontier.root(),
                    "n": signer.sign(seq, frontier.root()),
                    "f": frontier.to_bytes(),
                },
            )
    return leaves


@pytest.fixture
async def old_journal(backend: str, tmp_path: Path) -> AsyncIterator[OldJournal]:
    async with own_database(backend, tmp_path / "old.sqlite3", "ksp_old_") as engine:
        settings = make_settings(tmp_path)
        await upgrade(engine, "0005")
        leaves = await write_old_journal(engine, journal_signer(settings))
        await upgrade(engine)
        app = create_app(settings, engine=engine, clock=FixedClock())
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
            yield OldJournal(client, settings, leaves)
        app.state.mail.close()


def signed(note: str, settings: Settings) -> Checkpoint:
    signer = journal_signer(settings)
    return verify_checkpoint(note, public_key=signer.public_key_bytes, origin=signer.origin)


async def fetch(journal: OldJournal, route: str, **params: int) -> tuple[list[bytes], str]:
    auditor = token_headers(journal.settings)("auditor", "revision")
    response = await journal.client.get(f"{PROOFS}/{route}", params=params, headers=auditor)
    assert response.status_code == 200, response.text
    body = response.json()
    return [base64.b64decode(value) for value in body["proof"]], body["checkpoint"]


async def test_every_old_entry_gets_a_correct_inclusion_proof(old_journal: OldJournal) -> None:
    """For every size and every entry of a journal written before 0006, the proof verifies
    against that size's signed checkpoint."""
    for size in range(1, OLD_ENTRIES + 1):
        for index in range(size):
            proof, note = await fetch(old_journal, "inclusion", index=index, size=size)
            checkpoint = signed(note, old_journal.settings)
            assert checkpoint.tree_size == size
            verify_inclusion(
                index=index,
                size=size,
                leaf=old_journal.leaves[index],
                proof=proof,
                root=checkpoint.root,
            )


async def test_old_checkpoints_are_consistent_with_appends_after_the_migration(
    old_journal: OldJournal,
) -> None:
    """An entry appended after 0006 extends the old tree: every old checkpoint is proved
    consistent with the new one, and the new entry is proved included."""
    auth, units = token_headers(old_journal.settings), fresh_units()
    client = old_journal.client
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    made = await change_list(client, auth, units, meeting, add=[case_id])
    assert made.status_code == 201, made.text
    newest = OLD_ENTRIES + 1
    listed = await client.get(
        "/api/v1/audit/journal",
        params={"after_seq": OLD_ENTRIES},
        headers=auth("auditor", "revision"),
    )
    leaf = bytes.fromhex(listed.json()["items"][0]["entry_hash"])
    path, latest_note = await fetch(old_journal, "inclusion", index=OLD_ENTRIES, size=newest)
    latest = signed(latest_note, old_journal.settings)
    verify_inclusion(index=OLD_ENTRIES, size=newest, leaf=leaf, proof=path, root=latest.root)
    for first in range(1, newest + 1):
        proof, note = await fetch(old_journal, "consistency", **{"from": first, "to": newest})
        assert note == latest_note
        _, old_note = await fetch(old_journal, "inclusion", index=0, size=first)
        old = signed(old_note, old_journal.settings)
        verify_consistency(
            size1=first, size2=newest, root1=old.root, root2=latest.root, proof=proof
        )
