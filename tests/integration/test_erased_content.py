"""Erasing a journal entry sealed before data keys (issue 13; migration 0020), on SQLite and
PostgreSQL.

Such an entry (a version-1 header, content under ``KSP_DATA_KEYS``) has no key of its own
to destroy, and cannot be resealed: its header commits to the ciphertext's SHA-256. The
entry hash is over the header alone, though, so the ciphertext can go: erasure empties it.
The journal then still verifies, online and offline from an export, the entry reads as
erased, and its ciphertext is in neither the SQLite file nor a pg_dump. The database lets
exactly that change through, and no other.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Executable, delete, insert, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import POSTGRES_URL, make_settings, migrated_database, token_headers
from ksp.api.app import create_app
from ksp.bootstrap import journal_signer, unit_of_work
from ksp.db.tables import (
    document_versions,
    documents,
    erasure_in_progress,
    journal_entries,
    meetings,
)
from ksp.domain.errors import Erased
from ksp.journal.cli import verify_command
from ksp.services.ports import Footprint
from ksp.services.retention import RETENTION_AUTHOR, erase
from ksp.settings import Settings
from support.clock import FixedClock
from support.entries import append_entry, write_legacy_entries

NOW = dt.datetime(2027, 12, 1, 12, tzinfo=dt.UTC)
OLD = [b'{"old": "entry one"}', b'{"old": "entry two"}']


@dataclass
class Journal:
    settings: Settings
    engine: AsyncEngine
    client: httpx.AsyncClient
    backend: str
    where: str  # the SQLite file, or the PostgreSQL schema
    sealed: list[bytes]  # the legacy entries' ciphertexts, as written


@pytest.fixture
async def journal(
    backend: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> AsyncIterator[Journal]:
    """Two entries written before data keys, then one after (its own data key)."""
    async with migrated_database(backend, tmp_path_factory, "ksp_erased") as (engine, where):
        settings = make_settings(tmp_path)
        sealed = await write_legacy_entries(settings, engine, OLD)
        assert await append_entry(settings, engine, b"new 3") == 3
        app = create_app(settings, engine=engine, clock=FixedClock())
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
            yield Journal(settings, engine, client, backend, where, sealed)
        app.state.mail.close()


async def erase_entries(j: Journal, *seqs: int) -> int:
    """Erase ``seqs`` as a retention run does; the erasure entry's seq."""
    async with unit_of_work(j.settings, j.engine)() as uow:
        seq = await erase(
            uow,
            Footprint(entries=seqs),
            rule="retention:list_version:365d",
            by=RETENTION_AUTHOR,
            at=NOW,
        )
        await uow.commit()
    return seq


async def stored_content(j: Journal) -> dict[int, bytes]:
    async with j.engine.connect() as connection:
        rows = await connection.execute(select(journal_entries.c.seq, journal_entries.c.content))
        return {int(seq): bytes(content) for seq, content in rows}


async def version_of_entry(j: Journal, seq: int) -> str:
    """A list version whose entry is ``seq``, as the release before wrote it; its document."""
    meeting, document = str(uuid.uuid4()), str(uuid.uuid4())
    async with j.engine.begin() as connection:
        await connection.execute(
            insert(meetings).values(
                id=meeting,
                kif_unit="kif-erased",
                municipality_code=101,
                police_district="koebenhavn",
                scheduled_for=NOW,
                title="KSP-møde",
                created_at=NOW,
                created_by_sub="old",
            )
        )
        await connection.execute(
            insert(documents).values(id=document, meeting_id=meeting, created_at=NOW)
        )
        await connection.execute(
            insert(document_versions).values(
                document_id=document,
                version=1,
                journal_seq=seq,
                sha256="",
                created_at=NOW,
                created_by_sub="old",
                reason_ct=b"",
                entry_count=1,
            )
        )
    return document


def stored_database(j: Journal) -> bytes:
    """The database as stored: the SQLite file after a checkpoint (its WAL emptied into
    it), or a pg_dump of the schema."""
    if j.backend == "sqlite":
        with sqlite3.connect(j.where) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(j.where).read_bytes()
    assert POSTGRES_URL is not None
    dump = ["/usr/bin/pg_dump", f"--dbname={POSTGRES_URL}", f"--schema={j.where}"]
    return subprocess.run(dump, check=True, capture_output=True).stdout


def stored_forms(content: bytes) -> list[bytes]:
    """A ciphertext as a database file (raw) or a pg_dump (bytea hex) holds it."""
    return [content, content.hex().encode()]


async def test_erasing_an_entry_sealed_before_data_keys_empties_its_ciphertext(
    journal: Journal, tmp_path: Path
) -> None:
    """Entries 1 (sealed before data keys) and 3 (its own data key) erased: 1's ciphertext is
    gone, 3's stays with its key destroyed; both are refused, a version of 1 reads 410
    …/erased; the journal verifies online and offline from the export, which marks 1
    ``content_erased``; 1's ciphertext is in neither the database file nor a dump."""
    j = journal
    auditor = token_headers(j.settings)("auditor", "revision-erased")
    erasure = await erase_entries(j, 1, 3)

    content = await stored_content(j)
    assert content[1] == b""  # sealed before data keys: its ciphertext is gone
    assert content[2] == j.sealed[1]  # not erased: untouched
    assert content[3] != b""  # a data key of its own: destroyed, the ciphertext stays
    assert content[erasure] != b""
    async with unit_of_work(j.settings, j.engine)() as uow:
        for seq in (1, 3):
            with pytest.raises(Erased):  # the API answers 410 …/erased
                await uow.journal.plaintext(seq)
        assert await uow.journal.plaintext(2) == OLD[1]
        record = json.loads(await uow.journal.plaintext(erasure))
    assert record["entries"] == [1, 3]

    verified = await j.client.get("/api/v1/audit/verify", headers=auditor)
    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"], verified.json()
    assert verified.json()["entries"] == erasure
    export = await j.client.get("/api/v1/audit/export", headers=auditor)
    assert export.status_code == 200, export.text
    lines = [json.loads(line) for line in export.text.splitlines()]
    first = next(line for line in lines if line.get("seq") == 1)
    assert first["content_erased"] is True
    assert "content" not in first
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_bytes(export.content)
    out = io.StringIO()
    vkey = journal_signer(j.settings).vkey
    assert verify_command(bundle, None, out, expected_vkey=vkey) == 0, out.getvalue()
    assert out.getvalue() == f"intact: {erasure} entries, checkpoint at {erasure}\n"

    document = await version_of_entry(j, 1)
    gone = await j.client.get(f"/api/v1/documents/{document}/versions/1", headers=auditor)
    assert gone.status_code == 410, gone.text
    assert gone.json()["type"] == "https://ksp.kriminalforsorgen.dk/problems/erased"

    database = stored_database(j)
    assert any(form in database for form in stored_forms(j.sealed[1]))  # the scan can find one
    assert not any(form in database for form in stored_forms(j.sealed[0]))

    assert await erase_entries(j, 1) == erasure + 1  # again: nothing left to empty
    assert (await stored_content(j))[1] == b""


async def test_emptied_content_not_marked_erased_fails_verification(journal: Journal) -> None:
    """Marking is what lets an entry verify without content: content emptied by someone who
    bypassed the database's guard, without the erasure's mark, fails its ciphertext hash."""
    j = journal
    async with j.engine.begin() as connection:
        if j.backend == "sqlite":
            await connection.exec_driver_sql("DROP TRIGGER journal_entries_no_update")
        else:
            await connection.exec_driver_sql(
                "ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_immutable"
            )
        await connection.execute(
            update(journal_entries).where(journal_entries.c.seq == 2).values(content=b"")
        )
    auditor = token_headers(j.settings)("auditor", "revision-erased")
    verified = (await j.client.get("/api/v1/audit/verify", headers=auditor)).json()
    assert (verified["ok"], verified["first_bad_seq"], verified["reason"]) == (
        False,
        2,
        "content hash",
    )


async def test_the_database_lets_only_an_erased_entrys_content_be_emptied(
    journal: Journal,
) -> None:
    """Migration 0020's door: inside an erasure, an erased entry's content may become empty;
    no other change to an entry passes, inside an erasure or out."""
    j = journal
    await erase_entries(j, 3)  # marked erased, its ciphertext kept (its key destroyed)
    erased_entry = journal_entries.c.seq == 3
    emptied = update(journal_entries).values(content=b"")
    refused = {
        "outside an erasure": (False, emptied.where(erased_entry)),
        "an entry not erased": (True, emptied.where(journal_entries.c.seq == 2)),
        "a header changed": (True, emptied.where(erased_entry).values(header=b"{}")),
        "content replaced": (
            True,
            update(journal_entries).where(erased_entry).values(content=b"other"),
        ),
        "an entry deleted": (True, delete(journal_entries).where(erased_entry)),
    }
    for what, (door, change) in refused.items():
        with pytest.raises(sa_exc.DBAPIError):
            await change_entries(j, change, door=door)
        assert (await stored_content(j))[3] != b"", what
    await change_entries(j, emptied.where(erased_entry), door=True)  # the one that passes
    assert (await stored_content(j))[3] == b""


async def change_entries(j: Journal, change: Executable, *, door: bool) -> None:
    """``change`` in a transaction of its own, inside an erasure (``door``) or not."""
    async with j.engine.begin() as connection:
        opened = str(uuid.uuid4())
        if door:
            await connection.execute(insert(erasure_in_progress).values(id=opened))
        await connection.execute(change)
        await connection.execute(
            delete(erasure_in_progress).where(erasure_in_progress.c.id == opened)
        )
