"""KEK rotation and the move of pre-issue-13 data onto data keys (``ksp keys …``).

Rotation rewraps data keys, never content: each batch reads the wrapped keys not under
the current KEK, rewraps them (inside the token, for PKCS#11) and writes them back in one
short transaction, only where the row still names the KEK it was read under. A kill loses
at most the batch in flight; running again picks up the keys still under the old KEK, so
``ksp keys rotate`` resumes a rotation that was cut off instead of starting another.

Migration reseals each case's personal fields, still under ``KSP_DATA_KEYS`` (format 1),
under the case's own data key, in batches keyed on the case id; what is done is skipped
when it runs again. Journal content stays as it was written: the header and the Merkle tree
commit to its ciphertext, so it cannot be resealed (see the README).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ksp.crypto import FieldCipher, envelope_key_id
from ksp.db.data_key_store import DataKeyRing, SqlDataKeyStore, case_owner, wrap_aad
from ksp.db.tables import cases, data_keys
from ksp.keys.kek import KekError, UnwrapFailed

__all__ = ["KekReport", "kek_report", "migrate_cases", "rewrap", "rotate"]

BATCH = 2_000
_CONTEXT = {
    "name_ct": "name",
    "cpr_ct": "cpr",
    "concern_ct": "concern",
    "triage_reason_ct": "triage",
}

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


async def migrate_cases(
    sessions: async_sessionmaker[AsyncSession],
    ring: DataKeyRing,
    legacy: FieldCipher,
    *,
    batch: int = 200,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Reseal the cases' fields still under the legacy keys; how many cases were moved."""
    after, moved = "", 0
    while True:
        async with sessions() as session, session.begin():
            query = select(cases.c.id, *(cases.c[c] for c in _CONTEXT))
            query = query.where(cases.c.id > after).order_by(cases.c.id).limit(batch)
            rows = list(await session.execute(query))
            if not rows:
                return moved
            keys = SqlDataKeyStore(session, ring, legacy)
            for row in rows:
                values = await _resealed(keys, row._mapping)
                if values:
                    await session.execute(update(cases).where(cases.c.id == row.id).values(values))
                    moved += 1
            after = rows[-1].id
        if progress is not None:
            progress(moved)


async def _resealed(keys: SqlDataKeyStore, mapping: RowMapping) -> dict[str, bytes]:
    old = {
        c: bytes(mapping[c])
        for c in _CONTEXT
        if mapping[c] is not None and envelope_key_id(bytes(mapping[c])) is None
    }
    if not old:
        return {}
    case_id = mapping["id"]
    key_id = await keys.for_owner(case_owner(case_id))
    resealed = {}
    for column, blob in old.items():
        context = f"cases.{_CONTEXT[column]}:{case_id}"
        resealed[column] = keys.seal(key_id, keys.open(blob, context=context), context=context)
    return resealed
