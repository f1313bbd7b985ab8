"""What the services need from the outside, as protocols (the adapters live in ``ksp.db``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from ksp.domain.access import CaseScope, Principal
from ksp.domain.audit import AccessRecord
from ksp.domain.cases import Case, CaseStatus
from ksp.domain.circulation import Delivery, Recipient
from ksp.domain.cpr import Cpr
from ksp.domain.exchanges import Exchange, ExchangeRecord
from ksp.domain.inquiries import Decision, Inquiry
from ksp.domain.meetings import Meeting
from ksp.journal.entry import StoredEntry

__all__ = [
    "AccessLogStore",
    "Appended",
    "CaseStore",
    "Circulation",
    "CirculationStore",
    "Clock",
    "DocumentStore",
    "DuplicateKey",
    "ExchangeStore",
    "IdempotencyStore",
    "InquiryStore",
    "JournalRecord",
    "JournalStore",
    "MeetingStore",
    "Page",
    "RecipientStore",
    "SecureMail",
    "StoredResult",
    "TimeRange",
    "TreeStore",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "VersionRecord",
]


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


@dataclass(frozen=True, slots=True)
class Page:
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class TimeRange:
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredResult:
    request_digest: bytes
    result: bytes


class DuplicateKey(Exception):
    """Raised by ``commit`` when a concurrent request stored the same idempotency key."""


class CaseStore(Protocol):
    async def add(self, case: Case) -> None: ...
    async def get(self, case_id: str) -> Case | None: ...
    async def get_many(self, case_ids: Collection[str]) -> dict[str, Case]: ...
    async def find(
        self,
        scope: CaseScope,
        page: Page,
        *,
        status: CaseStatus | None = None,
        meeting_id: str | None = None,
    ) -> list[Case]: ...
    async def save_triage(self, case: Case) -> bool: ...


class IdempotencyStore(Protocol):
    async def get(self, sub: str, unit: str, key: str) -> StoredResult | None: ...
    async def add(
        self, sub: str, unit: str, key: str, stored: StoredResult, at: dt.datetime
    ) -> None: ...


class AccessLogStore(Protocol):
    async def record(
        self,
        principal: Principal,
        *,
        resource: str,
        resource_id: str | None,
        subjects: Sequence[Cpr],
        at: dt.datetime,
    ) -> None: ...
    async def find(
        self, period: TimeRange, page: Page, *, subject: Cpr | None = None
    ) -> list[AccessRecord]: ...


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    plaintext_sha256: str


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """A version's row: where its content lies in the journal, and its public facts."""

    document_id: str
    version: int
    journal_seq: int
    sha256: str
    created_at: dt.datetime
    created_by_sub: str
    reason: str
    entry_count: int


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """An entry as an auditor reads it: the header's fields and the entry hash."""

    seq: int
    kind: str
    ref: str
    author: str
    created_at: str
    ciphertext_sha256: str
    plaintext_sha256: str
    prev: str
    entry_hash: str


class MeetingStore(Protocol):
    async def add(self, meeting: Meeting) -> None: ...
    async def get(self, meeting_id: str) -> Meeting | None: ...
    async def find(self, kif_unit: str, page: Page) -> list[Meeting]: ...


class DocumentStore(Protocol):
    async def of_meeting(self, meeting_id: str) -> str | None: ...
    async def meeting_of(self, document_id: str) -> str | None: ...
    async def create(self, document_id: str, meeting_id: str, at: dt.datetime) -> None: ...
    async def latest_version(self, document_id: str) -> int: ...
    async def add_version(self, record: VersionRecord) -> None: ...
    async def versions(self, document_id: str) -> list[VersionRecord]: ...
    async def version(self, document_id: str, version: int) -> VersionRecord | None: ...


class JournalStore(Protocol):
    async def lock(self) -> None: ...
    async def snapshot(self) -> None: ...
    async def append(
        self, *, kind: str, ref: str, author: str, created_at: dt.datetime, plaintext: bytes
    ) -> Appended: ...
    async def plaintext(self, seq: int) -> bytes: ...
    async def records(self, after_seq: int, limit: int) -> list[JournalRecord]: ...
    async def stored(self, after_seq: int, limit: int) -> list[StoredEntry]: ...
    async def latest_checkpoint(self) -> tuple[int, str] | None: ...
    async def highest_seq(self) -> int: ...
    async def checkpoints(self, *, up_to: int) -> list[str]: ...
    def open_content(self, seq: int, content: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Circulation:
    id: str
    document_id: str
    version: int
    meeting_id: str
    created_at: dt.datetime
    created_by_sub: str


class RecipientStore(Protocol):
    async def add(self, recipient: Recipient, public_key: str) -> None: ...
    async def get(self, recipient_id: str) -> Recipient | None: ...
    async def public_key(self, recipient_id: str) -> str | None: ...
    async def find(self, kif_unit: str | None) -> list[Recipient]: ...
    async def add_participant(
        self, meeting_id: str, recipient_id: str, at: dt.datetime, by_sub: str
    ) -> None: ...
    async def participants(self, meeting_id: str) -> list[Recipient]: ...
    async def meetings_of(self, email: str, unit: str) -> list[str]: ...


class CirculationStore(Protocol):
    async def add(self, circulation: Circulation) -> None: ...
    async def get(self, circulation_id: str) -> Circulation | None: ...
    async def queue(self, delivery: Delivery, message: bytes, at: dt.datetime) -> None: ...
    async def deliveries(self, circulation_id: str) -> list[Delivery]: ...
    async def claim(self, now: dt.datetime, limit: int) -> list[tuple[Delivery, bytes]]: ...
    async def lease(self, delivery_id: str, *, until: dt.datetime) -> None: ...
    async def save(self, delivery: Delivery) -> None: ...


class SecureMail(Protocol):
    """OpenPGP mail (the adapter is ``ksp.mail.secure``); blocking: call it in a thread."""

    def check_key(
        self, armored: str, *, email: str, fingerprint: str | None, now: dt.datetime
    ) -> tuple[str, dt.datetime | None]: ...
    def pin(self, armored: str) -> str: ...
    def usable(self, fingerprint: str, now: dt.datetime) -> bool: ...
    def seal(
        self,
        *,
        to: str,
        fingerprint: str,
        subject: str,
        html: str,
        attachment_name: str,
        attachment_json: bytes,
        message_id: str,
        date: dt.datetime,
    ) -> bytes: ...
    def message_id(self, local_part: str) -> str: ...


class InquiryStore(Protocol):
    async def add(self, inquiry: Inquiry) -> None: ...
    async def get(self, inquiry_id: str) -> Inquiry | None: ...
    async def visible_to(self, principal: Principal) -> list[Inquiry]: ...
    async def detention_of(self, cpr: Cpr) -> tuple[dt.date, dt.date | None] | None: ...
    async def decisions(self, inquiry_id: str) -> list[Decision]: ...
    async def next_number(self, inquiry_id: str) -> int: ...
    async def add_decision(self, decision: Decision) -> None: ...


class ExchangeStore(Protocol):
    async def add(self, exchange: Exchange) -> None: ...
    async def get(self, exchange_id: str) -> Exchange | None: ...
    async def next_number(self, exchange_id: str, kind: str) -> int: ...
    async def add_record(self, record: ExchangeRecord, journal_seq: int) -> None: ...
    async def open_duties(self, scope: CaseScope) -> list[tuple[Exchange, bool, bool]]: ...


class TreeStore(Protocol):
    """The journal's stored perfect subtrees, ``(level, index)`` → hash, and its checkpoints."""

    async def nodes(self, ids: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]: ...
    async def checkpoint_at(self, tree_size: int) -> str | None: ...


class UnitOfWork(Protocol):
    cases: CaseStore
    idempotency: IdempotencyStore
    access_log: AccessLogStore
    meetings: MeetingStore
    documents: DocumentStore
    journal: JournalStore
    recipients: RecipientStore
    circulations: CirculationStore
    inquiries: InquiryStore
    exchanges: ExchangeStore
    tree: TreeStore

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
