"""The personal fields beside the journal under data keys of their own (issue 13), on SQLite
and PostgreSQL: an exchange, an outcome with its actions, an inquiry with its decisions, a
version's and a circulation's reasons, a session's e-mail, an erasure request's reason.

A person's erasure destroys those keys: what was sealed under them does not open any more,
not with the service's keys and not with ``KSP_DATA_KEYS``, and a copy of the ciphertext
put back reads ``410 …/erased``. ``ksp keys migrate`` moves rows written under
``KSP_DATA_KEYS`` onto their keys, in batches, resumably after a kill, and then none is
left outside the journal.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from integration import test_retention
from integration.test_retention import (
    PROBLEMS,
    Deployment,
    destroyed,
    erase_person,
    person_on_a_list,
    unit_of_work_of,
)
from ksp.crypto import ContentErased, DecryptionFailed, FieldCipher, envelope_key_id
from ksp.db.data_key_store import (
    DataKeyRing,
    SqlDataKeyStore,
    exchange_owner,
    inquiry_owner,
    outcome_owner,
    request_owner,
    session_owner,
    version_owner,
)
from ksp.db.key_rotation import JOURNAL_NOUN, legacy_counts, migrate_fields
from ksp.db.sealed_fields import SEALED_FIELDS
from ksp.db.session_store import SqlWebSessionStore
from ksp.db.tables import (
    actions,
    circulations,
    data_keys,
    document_versions,
    erasure_in_progress,
    erasure_requests,
    exchanges,
    inquiries,
    outcomes,
)
from ksp.domain.access import Principal, Role
from ksp.domain.errors import Erased
from ksp.domain.sessions import WebSession
from support.clock import DEFAULT_NOW
from support.data import fresh_units

deployment = test_retention.deployment  # the fixture: a database of its own per test
SESSION_KEY = hashlib.sha256(b"a session's secret").digest()


def adapters_of(d: Deployment) -> Any:
    return unit_of_work_of(d)._adapters


async def blob(engine: AsyncEngine, column: Any, *where: Any) -> bytes:
    async with engine.connect() as connection:
        return bytes((await connection.execute(select(column).where(*where))).scalar_one())


async def put_back(engine: AsyncEngine, table: Any, where: Any, values: dict[str, bytes]) -> None:
    """Write ``values`` into a guarded row, as a restored copy of the table would."""
    async with engine.begin() as connection:
        await connection.execute(insert(erasure_in_progress).values(id="test-restore"))
        await connection.execute(update(table).where(where).values(values))
        await connection.execute(delete(erasure_in_progress))


async def test_an_erasure_destroys_the_rows_keys_and_their_ciphertext_opens_with_nothing(
    deployment: Deployment,
) -> None:
    d = deployment
    units = fresh_units()
    engine = d.engine
    person = await person_on_a_list(d, units)
    async with engine.connect() as connection:
        inquiry_id = (await connection.execute(select(inquiries.c.id))).scalar_one()  # theirs
        outcome_id = (
            await connection.execute(
                select(outcomes.c.id).where(outcomes.c.case_id == person.case_id)
            )
        ).scalar_one()
    bystander = await person_on_a_list(d, units)
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")
    sealed = {
        exchange_owner(person.exchange_id): (
            exchanges.c.summary_ct,
            exchanges.c.id == person.exchange_id,
            f"exchanges.summary:{person.exchange_id}",
        ),
        inquiry_owner(inquiry_id): (
            inquiries.c.cpr_ct,
            inquiries.c.id == inquiry_id,
            f"inquiries.cpr:{inquiry_id}",
        ),
        outcome_owner(outcome_id): (
            outcomes.c.summary_ct,
            outcomes.c.id == outcome_id,
            f"outcomes.summary:{outcome_id}",
        ),
        version_owner(person.document_id, 1): (
            document_versions.c.reason_ct,
            (document_versions.c.document_id == person.document_id)
            & (document_versions.c.version == 1),
            f"document_versions.reason:{person.document_id}/1",
        ),
    }
    copies = {
        owner: await blob(engine, column, where) for owner, (column, where, _) in sealed.items()
    }
    async with engine.connect() as connection:
        key_ids = dict(
            (await connection.execute(select(data_keys.c.owner, data_keys.c.key_id))).all()
        )
    for owner, ciphertext in copies.items():
        assert envelope_key_id(ciphertext) == key_ids[owner], owner  # under its own key
    description = await blob(engine, actions.c.description_ct, actions.c.outcome_id == outcome_id)
    assert envelope_key_id(description) == key_ids[outcome_owner(outcome_id)]

    await erase_person(d, person, kif, auditor)

    a = adapters_of(d)
    async with engine.connect() as connection:
        for owner in sealed:
            assert await destroyed(connection, owner), owner
        assert not await destroyed(connection, exchange_owner(bystander.exchange_id))
    async with a.sessions() as session:
        keys = SqlDataKeyStore(session, a.ring, a.cipher)
        await keys.load(copies.values())
        for owner, (_, _, context) in sealed.items():
            with pytest.raises(ContentErased):
                keys.open(copies[owner], context=context)
            with pytest.raises(Erased):
                keys.read(copies[owner], context=context)
            with pytest.raises(DecryptionFailed):  # nor with KSP_DATA_KEYS
                a.cipher.open(copies[owner], context=context)

    # A copy of the outcome's ciphertext put back (a restored table) reads 410, not its text.
    await put_back(
        engine,
        outcomes,
        outcomes.c.id == outcome_id,
        {"summary_ct": copies[outcome_owner(outcome_id)]},
    )
    read = await d.client.get(f"/api/v1/meetings/{person.meeting_id}/outcomes", headers=kif)
    assert read.status_code == 410, read.text
    assert read.json()["type"] == PROBLEMS + "erased"
    assert person.name not in read.text


async def test_a_retention_run_destroys_the_keys_of_what_is_due_and_keeps_the_others(
    deployment: Deployment,
) -> None:
    """The policy names list versions, exchanges and outcomes (not inquiries, not cases):
    their own keys go, the inquiry's and the case's stay."""
    d = deployment
    person = await person_on_a_list(d, fresh_units())
    async with d.engine.connect() as connection:
        inquiry_id = (await connection.execute(select(inquiries.c.id))).scalar_one()
        outcome_id = (await connection.execute(select(outcomes.c.id))).scalar_one()
    due = (
        exchange_owner(person.exchange_id),
        outcome_owner(outcome_id),
        version_owner(person.document_id, 1),
    )
    d.clock.set(test_retention.LATER)
    await d.retention.run()
    async with d.engine.connect() as connection:
        assert [await destroyed(connection, owner) for owner in due] == [True] * len(due)
        assert not await destroyed(connection, inquiry_owner(inquiry_id))
        assert not await destroyed(connection, f"case:{person.case_id}")


def sealed_session(email: str) -> WebSession:
    principal = Principal(sub="kif-caseworker", role=Role.KIF, unit="kif-1", email=email)
    return WebSession(principal, None, DEFAULT_NOW, DEFAULT_NOW)


async def back_to_legacy(engine: AsyncEngine, ring: DataKeyRing, cipher: FieldCipher) -> int:
    """Every sealed field outside the journal resealed under KSP_DATA_KEYS and its data key
    deleted, as a release before issue 13 left them; how many fields."""
    count = 0
    async with AsyncSession(engine) as session, session.begin():
        keys = SqlDataKeyStore(session, ring, cipher)
        await session.execute(insert(erasure_in_progress).values(id="test-legacy"))
        for fields in SEALED_FIELDS:
            rows = [r._mapping for r in await session.execute(fields.rows())]
            await keys.load(r[c] for r in rows for c in fields.contexts)
            for row in rows:
                values = {}
                for column, context in fields.contexts.items():
                    if row[column]:
                        plain = keys.open(bytes(row[column]), context=context(row))
                        values[column] = cipher.seal(plain, context=context(row))
                if values:
                    key = fields.table.primary_key.columns
                    same = [c == row[c.name] for c in key]
                    await session.execute(update(fields.table).where(*same).values(values))
                    count += len(values)
        await session.execute(delete(erasure_in_progress))
        await session.execute(delete(data_keys).where(~data_keys.c.owner.like("journal:%")))
    return count


class Killed(Exception):
    pass


async def test_keys_migrate_moves_every_kind_off_ksp_data_keys_resumably_and_erasure_follows(
    deployment: Deployment,
) -> None:
    d = deployment
    a = adapters_of(d)
    units = fresh_units()
    person = await person_on_a_list(d, units)
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")
    sessions = SqlWebSessionStore(a.sessions, a.ring, a.cipher)
    await sessions.add_session(SESSION_KEY, sealed_session("kif@example.dk"))
    asked = await d.client.post(
        "/api/v1/audit/erasure", json={"cpr": person.cpr, "reason": "Afgørelse"}, headers=kif
    )
    assert asked.status_code == 202, asked.text
    async with d.engine.begin() as connection:
        await connection.execute(
            insert(circulations).values(
                id="00000000-0000-4000-8000-00000000c1c1",
                document_id=person.document_id,
                version=1,
                meeting_id=person.meeting_id,
                created_at=DEFAULT_NOW,
                created_by_sub="kif-caseworker",
                again_reason_ct=a.cipher.encrypt(
                    "Sendt igen til Hansen",
                    context="circulations.again_reason:00000000-0000-4000-8000-00000000c1c1",
                ),
            )
        )
    before = (
        await d.client.get(f"/api/v1/meetings/{person.meeting_id}/outcomes", headers=kif)
    ).json()
    exchange = (await d.client.get(f"/api/v1/exchanges/{person.exchange_id}", headers=kif)).json()

    assert await back_to_legacy(d.engine, a.ring, a.cipher) >= 12
    left = await legacy_counts(d.engine)
    for noun in (
        "cases",
        "exchanges",
        "outcomes",
        "actions",
        "inquiries",
        "version reasons",
        "circulation reasons",
        "sessions",
        "erasure requests",
    ):
        assert left[noun] >= 1, noun

    def stop(done: int) -> None:
        if done >= 3:
            raise Killed

    with pytest.raises(Killed):
        await migrate_fields(a.sessions, a.ring, a.cipher, batch=1, progress=stop)
    halfway = await legacy_counts(d.engine)
    assert (
        0 < sum(halfway.values()) - halfway[JOURNAL_NOUN] < sum(left.values()) - left[JOURNAL_NOUN]
    )
    moved = await migrate_fields(a.sessions, a.ring, a.cipher, batch=2)
    assert sum(moved.values()) == sum(halfway.values()) - halfway[JOURNAL_NOUN]
    done = await legacy_counts(d.engine)
    assert {n: c for n, c in done.items() if n != JOURNAL_NOUN and c} == {}
    assert sum((await migrate_fields(a.sessions, a.ring, a.cipher)).values()) == 0

    # Everything reads as before, from its own key.
    after = await d.client.get(f"/api/v1/meetings/{person.meeting_id}/outcomes", headers=kif)
    assert after.json() == before
    assert (
        await d.client.get(f"/api/v1/exchanges/{person.exchange_id}", headers=kif)
    ).json() == exchange
    found = await sessions.get_session(SESSION_KEY)
    assert found is not None
    assert found.principal.email == "kif@example.dk"
    async with d.engine.connect() as connection:
        owners = set((await connection.execute(select(data_keys.c.owner))).scalars())
    assert {
        session_owner(SESSION_KEY),
        request_owner(asked.json()["id"]),
        version_owner(person.document_id, 1),
        exchange_owner(person.exchange_id),
    } <= owners
    reason = await blob(
        d.engine,
        circulations.c.again_reason_ct,
        circulations.c.id == "00000000-0000-4000-8000-00000000c1c1",
    )
    assert envelope_key_id(reason) is not None
    request_reason = await blob(
        d.engine, erasure_requests.c.reason_ct, erasure_requests.c.id == asked.json()["id"]
    )
    assert envelope_key_id(request_reason) is not None

    # The erasure the request asks for destroys the keys the migration made.
    sign = f"/api/v1/audit/erasure/{asked.json()['id']}/countersign"
    assert (await d.client.post(sign, headers=auditor)).status_code == 200
    async with d.engine.connect() as connection:
        assert await destroyed(connection, exchange_owner(person.exchange_id))
        assert await destroyed(connection, version_owner(person.document_id, 1))
    await sessions.remove_session(SESSION_KEY)
    async with d.engine.connect() as connection:
        assert session_owner(SESSION_KEY) not in set(
            (await connection.execute(select(data_keys.c.owner))).scalars()
        )
