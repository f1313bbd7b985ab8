"""Journal entries appended straight through a unit of work, for the data-key tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.bootstrap import journal_signer, unit_of_work
from ksp.db.tables import journal_checkpoints, journal_entries, journal_tree_nodes
from ksp.journal.entry import EntryHeader, encode_header, entry_hash
from ksp.journal.merkle import Frontier
from ksp.settings import Settings

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


async def append_entry(settings: Settings, engine: AsyncEngine, plaintext: bytes) -> int:
    """One entry of kind ``test``, committed; its seq."""
    async with unit_of_work(settings, engine)() as uow:
        await uow.journal.lock()
        appended = await uow.journal.append(
            kind="test", ref="data-keys", author="test", created_at=NOW, plaintext=plaintext
        )
        await uow.commit()
    return appended.seq


async def write_legacy_entries(
    settings: Settings, engine: AsyncEngine, plaintexts: Sequence[bytes]
) -> list[bytes]:
    """Entries 1, 2, … of an empty journal as the release before issue 13 wrote them:
    version-1 headers, content sealed under ``KSP_DATA_KEYS`` (no data key of their own),
    with their tree nodes and a signed checkpoint. Their ciphertexts."""
    legacy = unit_of_work(settings, engine)._adapters.cipher
    signer = journal_signer(settings)
    frontier, prev, sealed = Frontier(), bytes(32), []
    async with engine.begin() as connection:
        for seq, plaintext in enumerate(plaintexts, start=1):
            content = legacy.seal(plaintext, context=f"journal:{seq}")
            header = encode_header(
                EntryHeader(
                    seq=seq,
                    kind="test",
                    ref="v1",
                    author="old",
                    created_at=NOW.isoformat(),
                    ciphertext_sha256=hashlib.sha256(content).hexdigest(),
                    plaintext_sha256=hashlib.sha256(plaintext).hexdigest(),
                    prev=prev.hex(),
                )
            )
            prev = entry_hash(header)
            nodes = frontier.append(prev)
            row = {"seq": seq, "header": header, "entry_hash": prev, "content": content}
            await connection.execute(insert(journal_entries).values(row))
            if nodes:
                await connection.execute(
                    insert(journal_tree_nodes),
                    [{"level": lv, "idx": idx, "hash": value} for lv, idx, value in nodes],
                )
            sealed.append(content)
        size = len(plaintexts)
        await connection.execute(
            insert(journal_checkpoints).values(
                tree_size=size,
                root=frontier.root(),
                note=signer.sign(size, frontier.root()),
                frontier=frontier.to_bytes(),
            )
        )
    return sealed
