"""Envelope encryption (issue 13, CONTRACT.md "The data-protection lifecycle"): a data key
per journal entry and per case, wrapped under the KEK, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import migrated_database
from ksp.bootstrap import data_key_ring, unit_of_work
from ksp.crypto import ContentErased, DecryptionFailed, envelope_key_id
from ksp.db.data_key_store import DataKeyRing, SqlDataKeyStore
from ksp.db.tables import cases, data_keys, journal_entries
from ksp.domain.errors import Erased
from ksp.journal.verify import verify_journal
from ksp.keys.file_kek import FileKekKeeper
from ksp.keys.kek import KekError
from ksp.settings import Settings
from support.data import Units
from support.entries import append_entry

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


async def submit_case(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units, body: Any
) -> str:
    response = await client.post(
        "/api/v1/cases", json=body(units.kif), headers=auth("arrest", units.arrest)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_each_case_has_its_own_data_key_wrapped_under_the_kek(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    auth: Callable[..., dict[str, str]],
    units: Units,
    body: Any,
) -> None:
    first, second = [await submit_case(client, auth, units, body) for _ in range(2)]
    async with engine.connect() as connection:
        rows = {
            r.owner: r
            for r in await connection.execute(
                select(data_keys).where(data_keys.c.owner.in_([f"case:{first}", f"case:{second}"]))
            )
        }
        blobs = {
            r.id: r
            for r in await connection.execute(select(cases).where(cases.c.id.in_([first, second])))
        }
    assert set(rows) == {f"case:{first}", f"case:{second}"}
    keeper = data_key_ring(settings).keeper
    for case_id in (first, second):
        row = rows[f"case:{case_id}"]
        assert row.kek_id == keeper.current
        assert len(bytes(row.wrapped)) == 12 + 32 + 16  # nonce, key, tag: never the key bare
        for column in ("name_ct", "cpr_ct", "concern_ct"):
            assert envelope_key_id(bytes(blobs[case_id]._mapping[column])) == row.key_id
    assert rows[f"case:{first}"].wrapped != rows[f"case:{second}"].wrapped


def test_the_embedded_kek_lives_in_its_own_0600_file_not_in_secrets_json(
    settings: Settings,
) -> None:
    keeper = data_key_ring(settings).keeper
    path = settings.kek_path
    assert path.parent == settings.data_dir
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["current"] == keeper.current
    secrets_file = settings.data_dir / "secrets.json"
    if secrets_file.exists():
        assert "kek" not in secrets_file.read_text()


async def test_a_destroyed_data_key_erases_the_entry_and_the_journal_still_verifies(
    engine: AsyncEngine, settings: Settings
) -> None:
    seq = await append_entry(settings, engine, b'{"erase": "me"}')
    async with unit_of_work(settings, engine)() as uow:
        assert await uow.journal.plaintext(seq) == b'{"erase": "me"}'
        assert await uow.data_keys.destroy_owner(f"journal:{seq}", at=NOW)
        assert not await uow.data_keys.destroy_owner(f"journal:{seq}", at=NOW)  # once
        await uow.commit()
    async with unit_of_work(settings, engine)() as uow:
        with pytest.raises(Erased):  # the domain's error: the API answers 410 …/erased
            await uow.journal.plaintext(seq)
        assert await uow.data_keys.destroyed(f"journal:{seq}")
        with pytest.raises(ContentErased):  # nothing is written under an erased owner again
            await uow.data_keys.for_owner(f"journal:{seq}")
        tip = await uow.journal.latest_checkpoint()
    assert tip is not None
    signer = unit_of_work(settings, engine)._adapters.signer
    async with unit_of_work(settings, engine)() as uow:
        entries = await uow.journal.stored(0, 10_000)
        result = verify_journal(
            entries,
            [tip[1]],
            public_key=signer.public_key_bytes,
            origin=signer.origin,
            open_content=uow.journal.open_content,  # the online verifier's way
        )
        assert uow.journal.open_content(seq, entries[seq - 1].content or b"") is None
    assert result.ok, result
    async with engine.connect() as connection:
        row = (
            await connection.execute(select(data_keys).where(data_keys.c.owner == f"journal:{seq}"))
        ).one()
    assert (row.wrapped, row.kek_id) == (None, None)
    assert row.destroyed_at is not None


async def test_content_moved_to_another_row_does_not_open(
    engine: AsyncEngine, settings: Settings
) -> None:
    first = await append_entry(settings, engine, b"first")
    second = await append_entry(settings, engine, b"second")
    async with unit_of_work(settings, engine)() as uow:
        entries = {e.seq: e for e in await uow.journal.stored(first - 1, 2)}
        moved = entries[first].content
        assert moved is not None
        with pytest.raises(DecryptionFailed):
            uow.journal.open_content(second, moved)


async def test_a_wrapped_key_copied_to_another_owner_does_not_unwrap(
    backend: str, tmp_path_factory: pytest.TempPathFactory, settings: Settings
) -> None:
    async with migrated_database(backend, tmp_path_factory, "ksp_copy") as (engine, _):
        first = await append_entry(settings, engine, b"one")
        second = await append_entry(settings, engine, b"two")
        async with engine.begin() as connection:
            wrapped = (
                await connection.execute(
                    select(data_keys.c.wrapped).where(data_keys.c.owner == f"journal:{first}")
                )
            ).scalar_one()
            target = data_keys.c.owner == f"journal:{second}"
            await connection.execute(update(data_keys).where(target).values(wrapped=wrapped))
        async with unit_of_work(settings, engine)() as uow:
            with pytest.raises(DecryptionFailed):
                await uow.journal.plaintext(second)


async def test_a_blob_naming_no_stored_data_key_is_refused_not_read_as_erased(
    engine: AsyncEngine, settings: Settings
) -> None:
    seq = await append_entry(settings, engine, b"tampered")
    async with unit_of_work(settings, engine)() as uow:
        content = (await uow.journal.stored(seq - 1, 1))[0].content
        assert content is not None
        key_id = envelope_key_id(content)
        assert key_id is not None
        forged = content.replace(key_id.encode(), b"0" * len(key_id))
        await uow.data_keys.load([forged])
        with pytest.raises(DecryptionFailed):
            uow.journal.open_content(seq, forged)


async def test_the_unwrapped_key_cache_is_bounded(engine: AsyncEngine, settings: Settings) -> None:
    seqs = [await append_entry(settings, engine, f"n{i}".encode()) for i in range(5)]
    ring = DataKeyRing(FileKekKeeper(settings.kek_path), max_entries=2)
    async with unit_of_work(settings, engine)() as uow:
        store = SqlDataKeyStore(uow._session, ring, uow._adapters.cipher)
        query = select(journal_entries.c.seq, journal_entries.c.content)
        rows = list(await uow._session.execute(query.where(journal_entries.c.seq.in_(seqs))))
        await store.load(bytes(r.content) for r in rows)
        opened = {r.seq: store.open(bytes(r.content), context=f"journal:{r.seq}") for r in rows}
    assert opened == {seq: f"n{i}".encode() for i, seq in enumerate(seqs)}
    assert len(ring) == 2


def test_a_kek_file_of_another_shape_is_refused_at_start_up(tmp_path: Any) -> None:
    path = tmp_path / "kek.json"
    path.write_text(json.dumps({"current": "a", "keys": {"a": secrets.token_hex(8)}}))
    with pytest.raises(KekError, match="KSP_KEK_FILE"):
        FileKekKeeper(path)
