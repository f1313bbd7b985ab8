"""KEK rotation and the move of pre-issue-13 data onto data keys (``ksp keys …``).

Rotation rewraps data keys, never content: each batch reads the wrapped keys not under
the current KEK, rewraps them (inside the token, for PKCS#11) and writes them back in one
short transaction, only where the row still names the KEK it was read under. A kill loses
at most the batch in flight; running again picks up the keys still under the old KEK, so
``ksp keys rotate`` resumes a rotation that was cut off instead of starting another.

Migration reseals every personal field still under ``KSP_DATA_KEYS`` (format 1) under its
owner's data key (``ksp.db.sealed_fields``: cases, exchanges, outcomes, inquiries, version
and circulation reasons, sessions, erasure requests), table by table, in batches keyed on
the primary key; what is done is skipped when it runs again. Journal content stays as it
was written: the header and the Merkle tree commit to its ciphertext, so it cannot be
resealed (see the README).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, select, tuple_, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ksp.crypto import ContentErased, FieldCipher
from ksp.db.data_key_store import DataKeyRing, SqlDataKeyStore, wrap_aad
from ksp.db.erasure_store import erasure_door
from ksp.db.sealed_fields import LEGACY_FORMAT, SEALED_FIELDS, SealedFields, legacy
from ksp.db.tables import data_keys, journal_entries
from ksp.keys.kek import KekError, UnwrapFailed

__all__ = [
    "JOURNAL_NOUN",
    "KekReport",
    "kek_report",
    "legacy_counts",
    "migrate_fields",
    "rewrap",
    "rotate",
]

BATCH = 2_000
JOURNAL_NOUN = "journal entries"

_REWRAP = (
    update(data_keys)
    .where(data_keys.c.key_id == bindparam("b_key"), data_keys.c.kek_id == bindparam("b_old"))
    .values(kek_id=bindparam("b_kek"), wrapped=bindparam("b_wrapped"))
)


@dataclass(frozen=True)
class KekReport:
    """How many live data keys each KEK wraps; ``unknown``: KEKs the keeper lacks."""

    counts: dict[str, int]
    destroyed: int
    current: str
    unknown: list[str]


async def kek_report(engine: AsyncEngine, ring: DataKeyRing) -> KekReport:
    query = select(data_keys.c.kek_id, func.count()).group_by(data_keys.c.kek_id)
    async with engine.connect() as connection:
        found = {kek: int(n) for kek, n in await connection.execute(query)}
    destroyed = found.pop(None, 0)
    held = ring.keeper.kek_ids()
    counts = {kek_id: found.get(kek_id, 0) for kek_id in held}
    unknown = sorted(k for k in found if k not in held)
    counts.update({k: found[k] for k in unknown})
    return KekReport(counts, destroyed, ring.keeper.current, unknown)


async def pending(engine: AsyncEngine, current: str) -> int:
    """Live data keys not under ``current``."""
    query = select(func.count()).where(data_keys.c.kek_id != current)
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def rewrap(
    engine: AsyncEngine,
    ring: DataKeyRing,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rewrap every live data key not under the current KEK; how many were rewrapped."""
    keeper = ring.keeper
    current, done = keeper.current, 0
    query = (
        select(data_keys.c.key_id, data_keys.c.owner, data_keys.c.kek_id, data_keys.c.wrapped)
        .where(data_keys.c.kek_id != current)
        .order_by(data_keys.c.key_id)
        .limit(batch)
    )
    while True:
        async with engine.begin() as connection:
            rows = list(await connection.execute(query))
            if not rows:
                return done
            try:
                params = [
                    {
                        "b_key": r.key_id,
                        "b_old": r.kek_id,
                        "b_kek": current,
                        "b_wrapped": keeper.rewrap(
                            r.kek_id, bytes(r.wrapped), wrap_aad(r.key_id, r.owner)
                        ),
                    }
                    for r in rows
                ]
            except UnwrapFailed:
                raise KekError(
                    "a data key did not unwrap under the KEK it names: that KEK is missing "
                    "from the keeper, or the row was altered (`ksp keys check` lists them)"
                ) from None
            await connection.execute(_REWRAP, params)
        done += len(rows)
        if progress is not None:
            progress(done)


async def rotate(
    engine: AsyncEngine,
    ring: DataKeyRing,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, bool, int]:
    """A new current KEK, unless a rotation is still unfinished (keys under an older KEK),
    which is then resumed; (current KEK, whether it is new, data keys rewrapped)."""
    keeper = ring.keeper
    started = await pending(engine, keeper.current) == 0
    if started:
        keeper.add_current()
    return keeper.current, started, await rewrap(engine, ring, batch=batch, progress=progress)


async def migrate_fields(
    sessions: async_sessionmaker[AsyncSession],
    ring: DataKeyRing,
    legacy: FieldCipher,
    *,
    batch: int = 200,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Reseal every field still under the legacy keys (``SEALED_FIELDS``) under its owner's
    data key; how many rows were moved, per kind. ``progress`` hears the running total."""
    moved: dict[str, int] = {}
    for fields in SEALED_FIELDS:
        done = sum(moved.values())
        moved[fields.noun] = await _migrate(
            sessions,
            ring,
            legacy,
            fields,
            batch,
            None if progress is None else lambda n, done=done: progress(done + n),  # type: ignore[misc]
        )
    return moved


async def _migrate(
    sessions: async_sessionmaker[AsyncSession],
    ring: DataKeyRing,
    legacy: FieldCipher,
    fields: SealedFields,
    batch: int,
    progress: Callable[[int], None] | None,
) -> int:
    """One table, in batches keyed on its primary key, one transaction each (behind the
    erasure door: the guarded tables take nothing else). A row whose owner's key was
    destroyed is left as it is (``ksp keys check`` counts it)."""
    key_columns = list(fields.table.primary_key.columns)
    after: tuple[Any, ...] | None = None
    moved = 0
    while True:
        async with sessions() as session, session.begin():
            query = fields.source()
            if after is not None:
                query = query.where(tuple_(*key_columns) > tuple_(*after))
            rows = [r._mapping for r in await session.execute(query.limit(batch))]
            if not rows:
                return moved
            keys = SqlDataKeyStore(session, ring, legacy)
            async with erasure_door(session):
                for row in rows:
                    values = await _resealed(keys, fields, row)
                    if values:
                        same = and_(*(c == row[c.name] for c in key_columns))
                        await session.execute(update(fields.table).where(same).values(values))
                        moved += 1
            after = fields.key(rows[-1])
        if progress is not None:
            progress(moved)


async def _resealed(
    keys: SqlDataKeyStore, fields: SealedFields, row: RowMapping
) -> dict[str, bytes]:
    old = {
        column: bytes(row[column])
        for column in fields.contexts
        if row[column] and bytes(row[column])[:1] == LEGACY_FORMAT
    }
    if not old:
        return {}
    try:
        key_id = await keys.for_owner(fields.owner(row))
    except ContentErased:
        return {}
    resealed = {}
    for column, blob in old.items():
        context = fields.contexts[column](row)
        resealed[column] = keys.seal(key_id, keys.open(blob, context=context), context=context)
    return resealed


async def legacy_counts(engine: AsyncEngine) -> dict[str, int]:
    """How many rows of each kind still hold a field under ``KSP_DATA_KEYS``, the journal's
    entries included (they stay: their header and the tree commit to the ciphertext)."""
    found = {}
    async with engine.connect() as connection:
        for fields in SEALED_FIELDS:
            query = select(func.count()).select_from(fields.source().order_by(None).subquery())
            found[fields.noun] = int((await connection.execute(query)).scalar_one())
        query = select(func.count()).where(legacy(journal_entries.c.content))
        found[JOURNAL_NOUN] = int((await connection.execute(query)).scalar_one())
    return found
