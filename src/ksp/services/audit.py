"""Use cases for auditors: the access log, by time or by subject."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio.from_thread
import anyio.to_thread

from ksp.domain.access import Principal
from ksp.domain.audit import AccessRecord
from ksp.domain.cpr import InvalidCpr, parse_cpr
from ksp.domain.errors import FieldError, InvalidInput
from ksp.journal.bundle import bundle_head, checkpoint_line, entry_line
from ksp.journal.checkpoint import CheckpointSigner
from ksp.journal.entry import StoredEntry
from ksp.journal.verify import Verification, verify_journal
from ksp.services.ports import (
    Clock,
    JournalRecord,
    Page,
    TimeRange,
    UnitOfWork,
    UnitOfWorkFactory,
)
from ksp.services.witnessing import QuorumReport, WitnessingService

__all__ = ["AuditService"]


BATCH_ENTRIES = 1000
BATCH_BYTES = 8 * 1024 * 1024
"""A batch of the journal read for a verification or an export: at most this many entries
and this many stored bytes (one entry larger than that makes a batch of its own)."""


class AuditService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        signer: CheckpointSigner,
        *,
        batch_bytes: int = BATCH_BYTES,
        witnessing: WitnessingService | None = None,
    ) -> None:
        self._witnessing = witnessing
        self._uow = uow
        self._clock = clock
        self._signer = signer
        self._batch_bytes = batch_bytes

    async def journal(self, after_seq: int, limit: int) -> list[JournalRecord]:
        async with self._uow() as uow:
            return await uow.journal.records(after_seq, limit)

    async def witnessed(self) -> QuorumReport | None:
        """The witnesses' view (None without a policy)."""
        return None if self._witnessing is None else await self._witnessing.report()

    async def verify(self, trusted: str | None = None) -> Verification:
        """Stream every stored entry through the verifier (in a worker thread, one batch of
        entries in memory at a time, bounded in bytes), decrypting content to check the
        plaintext too.

        It reads one snapshot, so entries and checkpoint are one state: an entry beyond the
        latest checkpoint is then a fault ("not covered"), not a race. It takes no lock, so
        list changes go on while a long journal is verified.
        """
        async with self._uow() as uow:
            await uow.journal.snapshot()
            tip = await uow.journal.latest_checkpoint()
            latest = [] if tip is None else [tip[1]]

            def pages() -> Iterator[StoredEntry]:
                after = 0
                while page := anyio.from_thread.run(self._batch, uow, after):
                    after = page[-1].seq
                    yield from page
                    del page  # before the next batch is read: one batch in memory, not two

            return await anyio.to_thread.run_sync(
                lambda: verify_journal(
                    pages(),
                    latest,
                    public_key=self._signer.public_key_bytes,
                    origin=self._signer.origin,
                    open_content=uow.journal.open_content,
                    trusted=trusted,
                )
            )

    async def _batch(self, uow: UnitOfWork, after: int) -> list[StoredEntry]:
        return await uow.journal.stored(after, BATCH_ENTRIES, max_bytes=self._batch_bytes)

    async def export(self, principal: Principal, *, include_content: bool) -> AsyncIterator[str]:
        """The bundle, line by line, for ``ksp journal verify``: every entry stored when the
        export began, and every checkpoint up to it. Each batch of entries (bounded in bytes)
        and of checkpoints is read in a short transaction of its own, so a slow download
        holds nothing open, and memory holds one batch, never the journal. Logged."""
        async with self._uow() as uow:
            await uow.access_log.record(
                principal,
                resource="journal-export",
                resource_id=None,
                subjects=[],
                at=self._clock.now(),
            )
            await uow.journal.lock()
            size = await uow.journal.highest_seq()
            checkpoint_count = await uow.journal.checkpoint_count(up_to=size)
            await uow.commit()
        for line in bundle_head(
            origin=self._signer.origin,
            public_key=self._signer.public_key_bytes,
            vkey=self._signer.vkey,
            entry_count=size,
            checkpoint_count=checkpoint_count,
            include_content=include_content,
            exported_at=self._clock.now().isoformat(),
            policy=None if self._witnessing is None else self._witnessing.policy.text,
        ):
            yield line
        async for line in self._entry_lines(size, include_content=include_content):
            yield line
        async for line in self._checkpoint_lines(size):
            yield line

    async def _entry_lines(self, size: int, *, include_content: bool) -> AsyncIterator[str]:
        after = 0
        while after < size:
            async with self._uow() as uow:
                page = [e for e in await self._batch(uow, after) if e.seq <= size]
            if not page:
                break
            after = page[-1].seq
            for entry in page:
                yield entry_line(entry, include_content=include_content)
            del page  # before the next batch is read: one batch in memory, not two

    async def _checkpoint_lines(self, size: int) -> AsyncIterator[str]:
        after = 0
        while True:
            async with self._uow() as uow:
                notes = await uow.journal.checkpoints(up_to=size, after=after, limit=BATCH_ENTRIES)
                cosigned = await uow.tree.cosignatures_of([n for n, _ in notes])
            for tree_size, note in notes:
                lines = sorted(cosigned.get(tree_size, {}).items())
                yield checkpoint_line(note + "".join(line + "\n" for _, line in lines))
            if len(notes) < BATCH_ENTRIES:
                return
            after = notes[-1][0]

    async def access_log(self, period: TimeRange, page: Page) -> list[AccessRecord]:
        async with self._uow() as uow:
            return await uow.access_log.find(period, page)

    async def reads_of(
        self, principal: Principal, cpr: str, period: TimeRange, page: Page
    ) -> list[AccessRecord]:
        """Who read this person's data. The search itself is logged as a read about them."""
        try:
            subject = parse_cpr(cpr, today=self._clock.now().date())
        except InvalidCpr as exc:
            raise InvalidInput([FieldError("cpr", str(exc))]) from None
        async with self._uow() as uow:
            found = await uow.access_log.find(period, page, subject=subject)
            await uow.access_log.record(
                principal,
                resource="access-log-search",
                resource_id=None,
                subjects=[subject],
                at=self._clock.now(),
            )
            await uow.commit()
        return found
