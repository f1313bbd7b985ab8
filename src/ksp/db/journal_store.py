"""The journal store: appends under a lock, with a signed checkpoint per append.

Content is stored encrypted (AES-GCM, bound to its sequence number) under a data key of its
own (owner ``journal:<seq>``, ``ksp.db.data_key_store``); the header (version 2) commits to
the SHA-256 of the stored ciphertext and to an HMAC of the plaintext under a key derived
from the data key (entries of version 1, before issue 13: the plaintext's SHA-256). The
entry hash is the RFC 6962 leaf hash of the stored header bytes, and also the next entry's
``prev``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Row, String, cast, func, insert, literal, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.crypto import ContentErased, envelope_key_id
from ksp.db.data_key_store import KEY_COLUMNS, SqlDataKeyStore, journal_owner
from ksp.db.tables import data_keys, erased_entries, journal_checkpoints, journal_entries
from ksp.db.tree_store import add_tree_nodes
from ksp.domain.errors import Erased, JournalIntegrityError
from ksp.journal.checkpoint import CheckpointSigner, InvalidCheckpoint, verify_checkpoint
from ksp.journal.entry import (
    GENESIS,
    EntryHeader,
    MalformedEntry,
    StoredEntry,
    commitment,
    commitment_key,
    encode_header,
    entry_hash,
    parse_header,
)
from ksp.journal.merkle import Frontier
from ksp.journal.verify import Opened
from ksp.services.ports import Appended, AppendGuard, JournalRecord

__all__ = ["JOURNAL_LOCK_KEY", "SqlJournalStore"]

# pg_advisory_xact_lock(key, hashtext(schema)) is "the journal of this schema": every
# append holds it until commit. Keyed by schema too, so deployments (or test runs) in other
# schemas of one database never queue behind each other.
JOURNAL_LOCK_KEY = 0x4B5350  # "KSP"


# An entry's content with its data key's row joined in: one query for a version's read.
_CONTENT_WITH_KEY = select(journal_entries.c.content, *KEY_COLUMNS).select_from(
    journal_entries.outerjoin(
        data_keys,
        data_keys.c.owner == literal("journal:") + cast(journal_entries.c.seq, String),
    )
)

_UNREADABLE = EntryHeader(0, "unreadable", "", "", "", "", "", "")


class SqlJournalStore:
    def __init__(
        self,
        session: AsyncSession,
        keys: SqlDataKeyStore,
        signer: CheckpointSigner,
        guard: AppendGuard | None = None,
    ) -> None:
        self._session = session
        self._keys = keys
        self._signer = signer
        self._guard = guard
        self.appended = False  # whether this transaction appended (the witnesses are told)
        self._erased: set[int] = set()  # of the entries read so far, those marked erased

    async def lock(self) -> None:
        """Serialise appends: an advisory lock on PostgreSQL; on SQLite every transaction
        already begins IMMEDIATE (``ksp.db.engine``), which takes the write lock."""
        bind = self._session.get_bind()
        if bind.dialect.name == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                {"key": JOURNAL_LOCK_KEY},
            )

    async def snapshot(self) -> None:
        """One consistent state of entries and checkpoints for a long read, without the
        lock: REPEATABLE READ, read only, on PostgreSQL (call it first in the transaction;
        an append writes its entry and checkpoint in one transaction, so the snapshot holds
        both or neither). SQLite's transactions are serial already."""
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(
                text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            )

    async def _tip(self) -> tuple[int, bytes, Frontier]:
        """The tree to append to, trusted only after checking it: the latest checkpoint's
        signature, that its stored frontier gives its signed root, that no entry lies
        beyond it, and the hash of its last entry. Anyone able to insert rows could
        otherwise make the service sign entries it never wrote."""
        query = (
            select(
                journal_checkpoints.c.tree_size,
                journal_checkpoints.c.frontier,
                journal_checkpoints.c.note,
                journal_checkpoints.c.root,
            )
            .order_by(journal_checkpoints.c.tree_size.desc())
            .limit(1)
        )
        row = (await self._session.execute(query)).first()
        highest = await self.highest_seq()
        if row is None:
            if highest:
                raise JournalIntegrityError
            return 0, GENESIS, Frontier()
        frontier = Frontier.from_bytes(row.tree_size, bytes(row.frontier))
        try:
            signed = verify_checkpoint(
                row.note, public_key=self._signer.public_key_bytes, origin=self._signer.origin
            )
        except InvalidCheckpoint:
            raise JournalIntegrityError from None
        if (signed.tree_size, signed.root) != (row.tree_size, frontier.root()) or (
            highest != row.tree_size or bytes(row.root) != signed.root
        ):
            raise JournalIntegrityError
        last = select(journal_entries.c.entry_hash).where(journal_entries.c.seq == row.tree_size)
        prev = bytes((await self._session.execute(last)).scalar_one())
        return row.tree_size, prev, frontier

    async def append(
        self, *, kind: str, ref: str, author: str, created_at: dt.datetime, plaintext: bytes
    ) -> Appended:
        """Append one entry and its checkpoint. Call :meth:`lock` first in the transaction."""
        size, prev, frontier = await self._tip()
        if self._guard is not None:
            self._guard.check(size)  # a witness that knows more: the journal went backwards
        seq = size + 1
        try:  # a data key already there means rows beyond the signed tip, as below
            key_id = await self._keys.create(journal_owner(seq))
        except sa_exc.IntegrityError:
            raise JournalIntegrityError from None
        content = self._keys.seal(key_id, plaintext, context=f"journal:{seq}")
        commit_key = commitment_key(self._keys.key_bytes(key_id), seq)
        header = encode_header(
            EntryHeader(
                seq=seq,
                kind=kind,
                ref=ref,
                author=author,
                created_at=created_at.isoformat(),
                ciphertext_sha256=hashlib.sha256(content).hexdigest(),
                plaintext_sha256=commitment(commit_key, plaintext),
                prev=prev.hex(),
                version=2,
            )
        )
        link = entry_hash(header)
        completed = frontier.append(link)
        root = frontier.root()
        await self._session.execute(
            insert(journal_entries).values(seq=seq, header=header, entry_hash=link, content=content)
        )
        try:  # a node already there means rows beyond the signed tip (a truncated journal)
            await add_tree_nodes(self._session, completed)
        except sa_exc.IntegrityError:
            raise JournalIntegrityError from None
        await self._session.execute(
            insert(journal_checkpoints).values(
                tree_size=seq,
                root=root,
                note=self._signer.sign(seq, root),
                frontier=frontier.to_bytes(),
            )
        )
        self.appended = True
        return Appended(seq=seq, plaintext_sha256=hashlib.sha256(plaintext).hexdigest())

    def open_content(self, seq: int, content: bytes) -> bytes | Opened | None:
        """The plaintext of an entry read by :meth:`stored` (with its commitment key, for
        content under a data key), or None once it was erased (its data key destroyed);
        :class:`ksp.crypto.DecryptionFailed` for a wrong row or tampered bytes."""
        if seq in self._erased:
            return None
        try:
            plaintext = self._keys.open(content, context=f"journal:{seq}")
            key_id = envelope_key_id(content)
            if key_id is None:  # before issue 13: a version-1 header, no commitment key
                return plaintext
            return Opened(plaintext, commitment_key(self._keys.key_bytes(key_id), seq))
        except ContentErased:
            return None

    async def commitment_key(self, seq: int) -> bytes | None:
        """The key entry ``seq``'s version-2 header commits to its plaintext under, for its
        receipt; None for a version-1 entry. :class:`~ksp.domain.errors.Erased` once erased
        (a receipt handed out before still verifies: it carries the key)."""
        query = select(journal_entries.c.content).where(journal_entries.c.seq == seq)
        content = bytes((await self._session.execute(query)).scalar_one())
        key_id = envelope_key_id(content)
        if key_id is None:
            return None
        await self._keys.load([content])
        try:
            return commitment_key(self._keys.key_bytes(key_id), seq)
        except ContentErased:
            raise Erased from None

    async def plaintext(self, seq: int) -> bytes:
        """An entry's plaintext; :class:`~ksp.domain.errors.Erased` once it was erased (its
        data key destroyed, or, for an entry sealed before data keys, marked erased and its
        ciphertext emptied)."""
        query = _CONTENT_WITH_KEY.add_columns(erased_entries.c.seq.label("erased")).outerjoin(
            erased_entries, erased_entries.c.seq == journal_entries.c.seq
        )
        row = (await self._session.execute(query.where(journal_entries.c.seq == seq))).one()
        if row.erased is not None:
            raise Erased
        self._keys.offer(row._mapping)
        content = bytes(row.content)
        await self._keys.load([content])  # none: the key came with it (unless tampered)
        try:
            return self._keys.open(content, context=f"journal:{seq}")
        except ContentErased:
            raise Erased from None

    async def stored(
        self, after_seq: int, limit: int, *, max_bytes: int | None = None
    ) -> list[StoredEntry]:
        """The next entries after ``after_seq`` (keyset on seq): at most ``limit``, and with
        ``max_bytes`` only as many as fit in it by their stored size (at least one, however
        large), so a batch holds a bounded number of bytes whatever the entries' size."""
        entries = await self._stored(after_seq, limit, max_bytes)
        await self._keys.load(e.content for e in entries if e.content)  # for open_content
        if entries:  # entries marked erased open as erased, whatever their key
            erased = select(erased_entries.c.seq).where(
                erased_entries.c.seq.between(entries[0].seq, entries[-1].seq)
            )
            self._erased.update(int(s) for s in (await self._session.execute(erased)).scalars())
        return entries

    async def _stored(self, after_seq: int, limit: int, max_bytes: int | None) -> list[StoredEntry]:
        query = (
            select(journal_entries, erased_entries.c.seq.label("erased"))
            .select_from(
                journal_entries.outerjoin(
                    erased_entries, erased_entries.c.seq == journal_entries.c.seq
                )
            )
            .where(journal_entries.c.seq > after_seq)
        )
        if max_bytes is not None:
            last = await self._batch_end(after_seq, limit, max_bytes)
            if last is None:
                return []
            query = query.where(journal_entries.c.seq <= last)
        rows = await self._session.execute(query.order_by(journal_entries.c.seq).limit(limit))
        return [
            StoredEntry(r.seq, bytes(r.header), bytes(r.entry_hash), _stored_content(r))
            for r in rows
        ]

    async def _batch_end(self, after_seq: int, limit: int, max_bytes: int) -> int | None:
        """The last seq of the next batch within ``max_bytes``, from the sizes alone."""
        size = func.length(journal_entries.c.header) + func.length(journal_entries.c.content)
        query = (
            select(journal_entries.c.seq, size)
            .where(journal_entries.c.seq > after_seq)
            .order_by(journal_entries.c.seq)
            .limit(limit)
        )
        last, total = None, 0
        for seq, stored_size in await self._session.execute(query):
            total += int(stored_size)
            if last is not None and total > max_bytes:
                break
            last = seq
        return last

    async def records(self, after_seq: int, limit: int) -> list[JournalRecord]:
        records = []
        for entry in await self._stored(after_seq, limit, None):
            try:
                header = parse_header(entry.header)
            except MalformedEntry:
                header = _UNREADABLE
            records.append(
                JournalRecord(
                    seq=entry.seq,
                    kind=header.kind,
                    ref=header.ref,
                    author=header.author,
                    created_at=header.created_at,
                    ciphertext_sha256=header.ciphertext_sha256,
                    plaintext_sha256=header.plaintext_sha256,
                    prev=header.prev,
                    entry_hash=entry.entry_hash.hex(),
                )
            )
        return records

    async def highest_seq(self) -> int:
        highest = (await self._session.execute(select(func.max(journal_entries.c.seq)))).scalar()
        return int(highest or 0)

    async def checkpoints(
        self, *, up_to: int, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        """(tree size, note) of the checkpoints of sizes in (``after``, ``up_to``], in order,
        at most ``limit`` of them (keyset on the tree size, for an export in batches)."""
        query = (
            select(journal_checkpoints.c.tree_size, journal_checkpoints.c.note)
            .where(journal_checkpoints.c.tree_size > after)
            .where(journal_checkpoints.c.tree_size <= up_to)
            .order_by(journal_checkpoints.c.tree_size)
            .limit(limit)
        )
        return [(int(r.tree_size), r.note) for r in await self._session.execute(query)]

    async def checkpoint_count(self, *, up_to: int) -> int:
        """How many checkpoints there are of tree sizes up to ``up_to``."""
        query = select(func.count()).where(journal_checkpoints.c.tree_size <= up_to)
        return int((await self._session.execute(query)).scalar_one())

    async def latest_checkpoint(self) -> tuple[int, str] | None:
        """The tree size and note of the latest checkpoint: it covers every entry, so it is
        all a verification or an export needs (one signature to check, not one per entry)."""
        query = (
            select(journal_checkpoints.c.tree_size, journal_checkpoints.c.note)
            .order_by(journal_checkpoints.c.tree_size.desc())
            .limit(1)
        )
        row = (await self._session.execute(query)).first()
        return None if row is None else (row.tree_size, row.note)


def _stored_content(row: Row[Any]) -> bytes | None:
    """The entry's ciphertext, or None once an erasure emptied it (an entry sealed before
    data keys, marked erased: its header's ciphertext SHA-256 is what verifies it). Empty
    content of an entry not marked erased stays empty bytes, which fail that hash."""
    content = bytes(row.content)
    return None if not content and row.erased is not None else content
