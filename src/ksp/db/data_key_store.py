"""The data-key store: one random AES-256 key per owner, stored wrapped under a KEK.

An owner is ``journal:<seq>`` for a journal entry's content, ``case:<id>`` for a case's
personal fields, and one per row that holds personal fields beside them (:func:`row_owner`):
an exchange with its records, an outcome with its actions and their statuses, an inquiry
with its decisions, a document version with its circulations' reasons, a browser session,
an erasure request. Content sealed under a data key is a format-2 blob (``ksp.crypto``) that
names the key; it stays bound to its table, column and row by its context as before.

Reading goes in two steps so that a batch costs one query: :meth:`SqlDataKeyStore.load`
fetches the wrapped keys that a set of blobs name, and :meth:`SqlDataKeyStore.open` then
opens each blob. The wrapped key is read from the database on every load, so a destroyed
key is refused at once in every process; only the unwrapping is cached, in memory, for at
most :data:`CACHE_SECONDS` and :data:`CACHE_ENTRIES` keys (:class:`DataKeyRing`).

Destroying a key (:meth:`SqlDataKeyStore.destroy`, :meth:`destroy_owner`) sets its wrapped
bytes to NULL: content under it then raises :class:`ksp.crypto.ContentErased`.
Format-1 blobs (before issue 13, directly under ``KSP_DATA_KEYS``) still open through the
legacy cipher until ``ksp keys migrate`` has moved them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.crypto import (
    ContentErased,
    DecryptionFailed,
    FieldCipher,
    envelope_key_id,
    open_envelope,
    seal_envelope,
)
from ksp.db.tables import data_keys
from ksp.domain.errors import Erased
from ksp.keys.kek import KekKeeper, UnwrapFailed

__all__ = [
    "CACHE_ENTRIES",
    "CACHE_SECONDS",
    "KEY_COLUMNS",
    "DataKeyRing",
    "SqlDataKeyStore",
    "case_owner",
    "exchange_owner",
    "inquiry_owner",
    "journal_owner",
    "outcome_owner",
    "request_owner",
    "row_owner",
    "session_owner",
    "version_owner",
    "wrap_aad",
]

CACHE_SECONDS = 300.0
CACHE_ENTRIES = 20_000
_IDS_PER_QUERY = 500


KEY_COLUMNS = (
    data_keys.c.key_id.label("dk_key_id"),
    data_keys.c.owner.label("dk_owner"),
    data_keys.c.kek_id.label("dk_kek_id"),
    data_keys.c.wrapped.label("dk_wrapped"),
)
"""A data key's row, to join onto the rows sealed under it (saves :meth:`load` a query)."""


def journal_owner(seq: int) -> str:
    return f"journal:{seq}"


def case_owner(case_id: str) -> str:
    return f"case:{case_id}"


def exchange_owner(exchange_id: str) -> str:
    """An exchange's summary and its records' contents."""
    return f"exchange:{exchange_id}"


def outcome_owner(outcome_id: str) -> str:
    """An outcome's summary, its actions' descriptions and their statuses' notes."""
    return f"outcome:{outcome_id}"


def inquiry_owner(inquiry_id: str) -> str:
    """An inquiry's CPR number and its decisions' justifications."""
    return f"inquiry:{inquiry_id}"


def version_owner(document_id: str, version: int) -> str:
    """A document version's reason and its circulations' reasons for sending it again (the
    version's content is its journal entry, under ``journal:<seq>``)."""
    return f"version:{document_id}/{version}"


def session_owner(key: bytes) -> str:
    """A browser session's e-mail address (``key``: the SHA-256 of its secret)."""
    return f"session:{key.hex()}"


def request_owner(request_id: str) -> str:
    """An erasure request's reason."""
    return f"erasure-request:{request_id}"


_ROW_OWNERS = {
    "cases": case_owner,
    "exchanges": exchange_owner,
    "outcomes": outcome_owner,
    "inquiries": inquiry_owner,
}


def row_owner(table: str, row_id: str) -> str | None:
    """The data key's owner for a row an erasure names (``Footprint.rows``); None for rows
    with no key of their own (access-log lines hold no sealed fields)."""
    if table == "document_versions":
        document_id, _, version = row_id.rpartition("/")
        return version_owner(document_id, int(version))
    owner = _ROW_OWNERS.get(table)
    return None if owner is None else owner(row_id)


def wrap_aad(key_id: str, owner: str) -> bytes:
    """What a wrap is bound to: the data key's id and owner."""
    return b"ksp-data-key\x00" + key_id.encode("ascii") + b"\x00" + owner.encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Unwrapped:
    aead: AESGCM
    key: bytes


@dataclass(frozen=True, slots=True)
class _Wrapped:
    owner: str
    kek_id: str
    wrapped: bytes


class DataKeyRing:
    """The KEK keeper and a bounded, short-lived cache of unwrapped data keys, shared by
    every unit of work of a process (thread-safe: the verifier opens in a worker thread)."""

    def __init__(
        self,
        keeper: KekKeeper,
        *,
        max_entries: int = CACHE_ENTRIES,
        ttl_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.keeper = keeper
        self._max, self._ttl = max_entries, ttl_seconds
        self._cache: OrderedDict[tuple[str, str, bytes], tuple[float, _Unwrapped]] = OrderedDict()
        self._lock = threading.Lock()

    def unwrapped(self, key_id: str, stored: _Wrapped) -> _Unwrapped:
        """The data key, unwrapped once per :data:`CACHE_SECONDS` at most."""
        slot = (key_id, stored.kek_id, stored.wrapped)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(slot)
            if hit is not None and now - hit[0] < self._ttl:
                self._cache.move_to_end(slot)
                return hit[1]
        try:
            key = self.keeper.unwrap(stored.kek_id, stored.wrapped, wrap_aad(key_id, stored.owner))
        except UnwrapFailed:
            raise DecryptionFailed from None
        unwrapped = _Unwrapped(AESGCM(key), key)
        self.remember(slot, unwrapped, now)
        return unwrapped

    def remember(self, slot: tuple[str, str, bytes], unwrapped: _Unwrapped, now: float) -> None:
        with self._lock:
            self._cache[slot] = (now, unwrapped)
            self._cache.move_to_end(slot)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)

    def forget(self, key_ids: Iterable[str]) -> None:
        gone = set(key_ids)
        with self._lock:
            for slot in [s for s in self._cache if s[0] in gone]:
                del self._cache[slot]

    def __len__(self) -> int:
        return len(self._cache)


class SqlDataKeyStore:
    """The data keys of one unit of work (its session, its transaction)."""

    def __init__(self, session: AsyncSession, ring: DataKeyRing, legacy: FieldCipher) -> None:
        self._session = session
        self._ring = ring
        self._legacy = legacy
        self._loaded: dict[str, _Wrapped | None] = {}  # None: destroyed
        self._missing: set[str] = set()  # named by a blob, in no row: tampered
        self._opened: dict[tuple[str, _Wrapped], _Unwrapped] = {}  # this unit of work's
        self._owned: dict[str, str] = {}  # owner -> live key id, as found or made here

    async def create(self, owner: str) -> str:
        """A new data key for ``owner``, wrapped under the current KEK; its id."""
        key_id = secrets.token_hex(16)
        key = AESGCM.generate_key(bit_length=256)
        keeper = self._ring.keeper
        kek_id = keeper.current
        wrapped = keeper.wrap(key, wrap_aad(key_id, owner))
        await self._session.execute(
            insert(data_keys).values(key_id=key_id, owner=owner, kek_id=kek_id, wrapped=wrapped)
        )
        stored = _Wrapped(owner, kek_id, wrapped)
        self._loaded[key_id] = stored
        self._owned[owner] = key_id
        self._ring.remember(
            (key_id, kek_id, wrapped), _Unwrapped(AESGCM(key), key), time.monotonic()
        )
        return key_id

    async def key_of(self, owner: str) -> str | None:
        """The id of ``owner``'s live data key, if it has one."""
        if owner in self._owned:
            return self._owned[owner]
        query = select(data_keys).where(data_keys.c.owner == owner)
        row = (await self._session.execute(query)).first()
        if row is None or row.wrapped is None:
            return None
        self._loaded[row.key_id] = _Wrapped(row.owner, row.kek_id, bytes(row.wrapped))
        self._owned[owner] = str(row.key_id)
        return str(row.key_id)

    async def for_owner(self, owner: str) -> str:
        """``owner``'s data key, made now if it has none yet. :class:`ContentErased` if it
        had one and it was destroyed: nothing is written under an erased owner again."""
        key_id = await self.key_of(owner)
        if key_id is not None:
            return key_id
        if await self.destroyed(owner):
            raise ContentErased
        return await self.create(owner)

    async def destroyed(self, owner: str) -> bool:
        """Whether ``owner`` had a data key that was destroyed."""
        query = select(data_keys.c.wrapped).where(data_keys.c.owner == owner)
        row = (await self._session.execute(query)).first()
        return row is not None and row.wrapped is None

    async def load(self, blobs: Iterable[bytes | None]) -> None:
        """Fetch the wrapped keys the format-2 blobs among ``blobs`` name (one query per
        :data:`_IDS_PER_QUERY` keys), so that :meth:`open` can open them."""
        wanted = {
            key_id
            for blob in blobs
            if blob is not None and (key_id := envelope_key_id(bytes(blob))) is not None
        }
        wanted.difference_update(self._loaded, self._missing)
        ids = sorted(wanted)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            query = select(data_keys).where(data_keys.c.key_id.in_(chunk))
            for row in await self._session.execute(query):
                self._loaded[row.key_id] = (
                    None
                    if row.wrapped is None
                    else _Wrapped(row.owner, row.kek_id, bytes(row.wrapped))
                )
            self._missing.update(k for k in chunk if k not in self._loaded)

    def _unwrapped(self, key_id: str) -> _Unwrapped:
        if key_id in self._missing:
            raise DecryptionFailed
        if key_id not in self._loaded:
            raise LookupError("load() the blob's data key before opening it")
        stored = self._loaded[key_id]
        if stored is None:
            raise ContentErased
        slot = (key_id, stored)
        found = self._opened.get(slot)
        if found is None:
            found = self._opened[slot] = self._ring.unwrapped(key_id, stored)
        return found

    def offer(self, row: Mapping[str, Any] | RowMapping) -> None:
        """Take a data key's row joined in by :data:`KEY_COLUMNS` (none: nothing)."""
        key_id = row["dk_key_id"]
        if key_id is not None:
            wrapped = row["dk_wrapped"]
            self._loaded[key_id] = (
                None
                if wrapped is None
                else _Wrapped(row["dk_owner"], row["dk_kek_id"], bytes(wrapped))
            )

    def seal(self, key_id: str, plaintext: bytes, *, context: str) -> bytes:
        aead = self._unwrapped(key_id).aead
        return seal_envelope(aead, key_id, plaintext, context=context)

    def key_bytes(self, key_id: str) -> bytes:
        """The data key itself, loaded first, only to derive keys from (the journal's
        commitment key); never stored. :class:`ContentErased` once destroyed."""
        return self._unwrapped(key_id).key

    def open(self, blob: bytes, *, context: str) -> bytes:
        """Open a blob: format 2 with its data key (loaded first), format 1 with the legacy
        keys. :class:`ContentErased` if its data key was destroyed;
        :class:`DecryptionFailed` for a wrong row or tampered bytes."""
        blob = bytes(blob)
        key_id = envelope_key_id(blob)
        if key_id is None:
            return self._legacy.open(blob, context=context)
        return open_envelope(self._unwrapped(key_id).aead, blob, context=context)

    def encrypt(self, key_id: str, text: str, *, context: str) -> bytes:
        return self.seal(key_id, text.encode("utf-8"), context=context)

    async def encrypt_for(self, owner: str, text: str, *, context: str) -> bytes:
        """``text`` under ``owner``'s data key, made now if it has none yet."""
        return self.encrypt(await self.for_owner(owner), text, context=context)

    async def encrypt_new(self, owner: str, text: str, *, context: str) -> bytes:
        """``text`` under a data key made now for ``owner``, a row being written (no look-up:
        an owner that has a key already is refused by the table's unique owner)."""
        return self.encrypt(await self.create(owner), text, context=context)

    def decrypt(self, blob: bytes, *, context: str) -> str:
        return self.open(blob, context=context).decode("utf-8")

    def read(self, blob: bytes, *, context: str) -> str:
        """A field as the service reads it: ``""`` once blanked by an erasure, and
        :class:`~ksp.domain.errors.Erased` (410) once its data key was destroyed."""
        if not blob:
            return ""
        try:
            return self.decrypt(bytes(blob), context=context)
        except ContentErased:
            raise Erased from None

    async def destroy(self, key_id: str, *, at: dt.datetime) -> bool:
        """Destroy one data key: every blob under it is erased. False if it was not live."""
        result = await self._session.execute(
            update(data_keys)
            .where(data_keys.c.key_id == key_id, data_keys.c.wrapped.is_not(None))
            .values(wrapped=None, kek_id=None, destroyed_at=at)
        )
        self._loaded[key_id] = None
        self._owned = {o: k for o, k in self._owned.items() if k != key_id}
        self._ring.forget([key_id])
        return bool(getattr(result, "rowcount", 0) == 1)

    async def destroy_owner(self, owner: str, *, at: dt.datetime) -> bool:
        """Destroy ``owner``'s data key (``journal:<seq>``, ``case:<id>``)."""
        query = select(data_keys.c.key_id).where(data_keys.c.owner == owner)
        key_id = (await self._session.execute(query)).scalar()
        return key_id is not None and await self.destroy(str(key_id), at=at)

    async def drop_owners(self, owners: Collection[str]) -> None:
        """Delete the data keys of ``owners`` outright, for rows deleted with them (a browser
        session): nothing under them is kept, so no tombstone is either."""
        listed, gone = sorted(owners), []
        for start in range(0, len(listed), _IDS_PER_QUERY):
            chunk = listed[start : start + _IDS_PER_QUERY]
            query = select(data_keys.c.key_id).where(data_keys.c.owner.in_(chunk))
            gone += [str(k) for k in (await self._session.execute(query)).scalars()]
            await self._session.execute(delete(data_keys).where(data_keys.c.owner.in_(chunk)))
        for key_id in gone:
            self._loaded[key_id] = None
        self._owned = {o: k for o, k in self._owned.items() if o not in owners}
        self._ring.forget(gone)

    async def count_by_kek(self) -> dict[str | None, int]:
        """How many data keys each KEK wraps (None: destroyed keys)."""
        query = select(data_keys.c.kek_id, func.count()).group_by(data_keys.c.kek_id)
        return {kek_id: int(n) for kek_id, n in await self._session.execute(query)}
