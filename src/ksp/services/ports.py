"""What the services need from the outside, as protocols (the adapters live in ``ksp.db``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from ksp.domain.access import CaseScope, Principal
from ksp.domain.actions import ActionStatus, ActionView
from ksp.domain.audit import AccessRecord
from ksp.domain.cases import Case, CaseStatus, Triage
from ksp.domain.circulation import (
    CirculationContent,
    Delivery,
    DeliveryMode,
    KeyFormat,
    Recipient,
)
from ksp.domain.corrections import Revision
from ksp.domain.cpr import Cpr
from ksp.domain.exchanges import Exchange, ExchangeRecord
from ksp.domain.inquiries import Decision, Detention, Inquiry
from ksp.domain.meetings import Meeting
from ksp.domain.sessions import SignInAttempt, WebSession
from ksp.domain.subject_access import Holdings
from ksp.journal.entry import StoredEntry
from ksp.journal.verify import Opened

__all__ = [
    "AccessLogStore",
    "AppendGuard",
    "Appended",
    "CaseHistoryStore",
    "CaseStore",
    "Circulation",
    "CirculationStore",
    "Clock",
    "DataKeyEraser",
    "DocumentStore",
    "DuplicateKey",
    "ErasureRequest",
    "ErasureStore",
    "ExchangeStore",
    "Footprint",
    "IdempotencyStore",
    "InquiryStore",
    "JournalRecord",
    "JournalStore",
    "MeetingStore",
    "MeetingWorkStore",
    "NewAction",
    "OutcomeRow",
    "Page",
    "RecipientStore",
    "SecureMail",
    "StoredCheckpoint",
    "StoredResult",
    "SubjectStore",
    "TimeRange",
    "TreeStore",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "VersionRecord",
    "WebSessionStore",
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
    async def save_triage(self, case: Case, previous: Triage | None) -> bool: ...
    async def save_facts(self, case: Case) -> None: ...
    async def set_status(
        self,
        case_ids: Collection[str],
        status: CaseStatus,
        *,
        where: Collection[CaseStatus],
        meeting_id: str | None,
    ) -> None: ...
    async def with_cpr(self, cpr: Cpr, kif_unit: str) -> list[Case]: ...


class CaseHistoryStore(Protocol):
    async def next_revision(self, case_id: str) -> int: ...
    async def add_revision(self, revision: Revision) -> None: ...
    async def revisions(self, case_id: str) -> list[Revision]: ...
    async def add_triage(self, case_id: str, triage: Triage) -> None: ...
    async def triages(self, case_id: str) -> list[Triage]: ...
    async def add_list_entries(
        self, document_id: str, version: int, case_ids: Collection[str]
    ) -> None: ...
    async def listings(self, case_ids: Collection[str]) -> dict[str, list[tuple[str, int]]]: ...


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
    async def of_meeting(self, meeting_id: str, kind: str = "list") -> str | None: ...
    async def meeting_of(self, document_id: str) -> str | None: ...
    async def kinds_of_meeting(self, meeting_id: str) -> list[tuple[str, str]]: ...
    async def create(
        self, document_id: str, meeting_id: str, at: dt.datetime, kind: str = "list"
    ) -> None: ...
    async def latest_version(self, document_id: str) -> int: ...
    async def add_version(self, record: VersionRecord) -> None: ...
    async def versions(self, document_id: str) -> list[VersionRecord]: ...
    async def version(self, document_id: str, version: int) -> VersionRecord | None: ...


class AppendGuard(Protocol):
    """Consulted before every append with the stored journal's size (the witnesses' guard);
    raises :class:`ksp.domain.errors.JournalRolledBack` to refuse it."""

    def check(self, tree_size: int) -> None: ...


class JournalStore(Protocol):
    async def lock(self) -> None: ...
    async def snapshot(self) -> None: ...
    async def append(
        self, *, kind: str, ref: str, author: str, created_at: dt.datetime, plaintext: bytes
    ) -> Appended: ...
    async def plaintext(self, seq: int) -> bytes: ...
    async def records(self, after_seq: int, limit: int) -> list[JournalRecord]: ...
    async def stored(
        self, after_seq: int, limit: int, *, max_bytes: int | None = None
    ) -> list[StoredEntry]: ...
    async def latest_checkpoint(self) -> tuple[int, str] | None: ...
    async def highest_seq(self) -> int: ...
    async def checkpoints(
        self, *, up_to: int, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]: ...
    async def checkpoint_count(self, *, up_to: int) -> int: ...
    def open_content(self, seq: int, content: bytes) -> bytes | Opened | None: ...
    async def commitment_key(self, seq: int) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Circulation:
    id: str
    document_id: str
    version: int
    meeting_id: str
    created_at: dt.datetime
    created_by_sub: str
    again_reason: str | None = None  # why a version already circulated was sent again


class RecipientStore(Protocol):
    async def add(self, recipient: Recipient, public_key: str | None) -> None: ...
    async def get(self, recipient_id: str) -> Recipient | None: ...
    async def public_key(self, recipient_id: str) -> str | None: ...
    async def public_keys(self, recipient_ids: list[str]) -> dict[str, str]: ...
    async def registered(self, kif_unit: str, email: str) -> bool: ...
    async def replace_key(
        self, recipient: Recipient, public_key: str, at: dt.datetime, by_sub: str
    ) -> None: ...
    async def retire(self, recipient_id: str, at: dt.datetime, by_sub: str) -> None: ...
    async def find(self, kif_unit: str | None) -> list[Recipient]: ...
    async def add_participant(
        self, meeting_id: str, recipient_id: str, at: dt.datetime, by_sub: str
    ) -> None: ...
    async def participants(self, meeting_id: str) -> list[Recipient]: ...
    async def remove_participant(self, meeting_id: str, recipient_id: str) -> bool: ...
    async def meetings_of(self, email: str, unit: str) -> list[str]: ...


class CirculationStore(Protocol):
    async def add(self, circulation: Circulation) -> None: ...
    async def get(self, circulation_id: str) -> Circulation | None: ...
    async def circulated(self, document_id: str, version: int) -> bool: ...
    async def circulated_to_unit(self, document_id: str, version: int, unit: str) -> bool: ...
    async def of_meeting(self, meeting_id: str) -> list[Circulation]: ...
    async def queue(
        self,
        delivery: Delivery,
        message: bytes,
        at: dt.datetime,
        *,
        cancelled_meeting_id: str | None = None,
    ) -> None: ...
    async def announce(self) -> None: ...  # wake the outbox workers once this commits
    async def deliveries(self, circulation_id: str) -> list[Delivery]: ...
    async def cancellation_deliveries(self, meeting_id: str) -> list[Delivery]: ...
    async def claim(self, now: dt.datetime, limit: int) -> list[tuple[Delivery, bytes]]: ...
    async def lease(self, delivery_ids: list[str], *, until: dt.datetime) -> None: ...
    async def release(
        self, delivery_ids: list[str], *, leased_until: dt.datetime, at: dt.datetime
    ) -> None: ...  # due again ``at``, those still under this lease
    async def save(self, delivery: Delivery) -> None: ...


class SecureMail(Protocol):
    """OpenPGP or S/MIME mail, as ``key_format`` says (the adapter is ``ksp.mail.secure``);
    blocking: call it in a thread. ``material`` is an armoured OpenPGP key or a PEM
    certificate."""

    def check_key(
        self,
        material: str,
        *,
        key_format: KeyFormat,
        email: str,
        fingerprint: str | None,
        now: dt.datetime,
    ) -> tuple[str, dt.datetime | None]: ...
    def pin(self, material: str, key_format: KeyFormat) -> str: ...
    def revoked_copy(self, material: str, pinned: str, key_format: KeyFormat) -> bool: ...
    def usable(self, fingerprint: str, now: dt.datetime, key_format: KeyFormat) -> bool: ...
    def usable_all(
        self, fingerprints: Sequence[str], now: dt.datetime, key_format: KeyFormat
    ) -> set[str]: ...
    def seal(
        self,
        *,
        key_format: KeyFormat,
        to: str,
        fingerprint: str,
        content: CirculationContent,
        message_id: str,
        date: dt.datetime,
        delivery: DeliveryMode = DeliveryMode.ENCRYPTED,
    ) -> bytes: ...
    def message_id(self, local_part: str) -> str: ...


class InquiryStore(Protocol):
    async def add(self, inquiry: Inquiry) -> None: ...
    async def get(self, inquiry_id: str) -> Inquiry | None: ...
    async def visible_to(self, principal: Principal, page: Page) -> list[Inquiry]: ...
    async def detention_of(
        self, cpr: Cpr, *, kif_unit: str | None = None, meeting_ids: Collection[str] = ()
    ) -> Detention | None: ...
    async def decisions(self, inquiry_ids: Collection[str]) -> dict[str, list[Decision]]: ...
    async def next_number(self, inquiry_id: str) -> int: ...
    async def add_decision(self, decision: Decision) -> None: ...


class ExchangeStore(Protocol):
    async def add(self, exchange: Exchange) -> None: ...
    async def get(self, exchange_id: str) -> Exchange | None: ...
    async def next_number(self, exchange_id: str, kind: str) -> int: ...
    async def add_record(self, record: ExchangeRecord, journal_seq: int) -> None: ...
    async def find(
        self, scope: CaseScope, page: Page, *, open_duties: bool | None = None
    ) -> list[Exchange]: ...
    async def latest_records(
        self, exchange_ids: Collection[str]
    ) -> dict[tuple[str, str], ExchangeRecord]: ...


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    id: str
    meeting_id: str
    case_id: str
    decision: str
    summary: str
    corrects: str | None
    exchange_id: str
    journal_seq: int
    created_at: dt.datetime
    created_by_sub: str


@dataclass(frozen=True, slots=True)
class NewAction:
    id: str
    outcome_id: str
    meeting_id: str
    case_id: str
    agency: str
    unit: str
    description: str
    due_on: dt.date
    created_at: dt.datetime


class MeetingWorkStore(Protocol):
    """A meeting's state, and the index rows of attendance, outcomes and actions."""

    async def meeting_ids(self, kif_unit: str) -> list[str]: ...
    async def circulated(self, document_id: str, version: int) -> bool: ...
    async def save_state(self, meeting: Meeting) -> None: ...
    async def latest_attendance(self, meeting_id: str) -> tuple[int, int] | None: ...
    async def add_attendance(
        self, meeting_id: str, number: int, journal_seq: int, at: dt.datetime, by_sub: str
    ) -> None: ...
    async def add_outcome(self, row: OutcomeRow) -> None: ...
    async def current_outcomes(self, meeting_id: str) -> list[OutcomeRow]: ...
    async def add_actions(self, new: Sequence[NewAction]) -> None: ...
    async def actions(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        unit: str | None = None,
        outcome_id: str | None = None,
        action_id: str | None = None,
    ) -> list[ActionView]: ...
    async def add_status(
        self,
        action_id: str,
        number: int,
        status: ActionStatus,
        note: str | None,
        journal_seq: int,
        at: dt.datetime,
        by_sub: str,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A checkpoint's signed note as stored (not verified yet), and its cosignature lines by
    witness name."""

    note: str
    cosignatures: dict[str, str]


class TreeStore(Protocol):
    """The journal's stored perfect subtrees, ``(level, index)`` → hash, and its checkpoints."""

    async def nodes(self, ids: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]: ...
    async def checkpoint_at(self, tree_size: int) -> str | None: ...
    async def checkpoints_at(self, sizes: Collection[int]) -> dict[int, StoredCheckpoint]: ...
    async def proof_reads(
        self, sizes: Collection[int], ids: Collection[tuple[int, int]]
    ) -> tuple[dict[int, StoredCheckpoint], dict[tuple[int, int], bytes]]: ...
    async def cosignatures(self, tree_size: int) -> dict[str, str]: ...
    async def cosignatures_of(self, sizes: Collection[int]) -> dict[int, dict[str, str]]: ...
    async def add_cosignatures(self, tree_size: int, lines: dict[str, str]) -> None: ...
    async def cosigned_sizes(self, *, limit: int) -> list[int]: ...


class DataKeyEraser(Protocol):
    """Destroys data keys, so that what they sealed can no longer be opened by anyone:
    a journal entry's content, the personal fields of a row an erasure names (a case, an
    exchange with its records, an outcome with its actions, an inquiry with its decisions,
    a document version's reasons). In the unit of work's transaction."""

    async def destroy_for_entry(self, seq: int, at: dt.datetime) -> None: ...
    async def destroy_for_row(self, table: str, row_id: str, at: dt.datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class Footprint:
    """What the service holds about one thing to erase: journal entries by sequence number
    and rows by table and id (no personal data)."""

    entries: tuple[int, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()  # (table, id)

    def __add__(self, other: Footprint) -> Footprint:
        entries = tuple(sorted({*self.entries, *other.entries}))
        return Footprint(entries, tuple(dict.fromkeys((*self.rows, *other.rows))))


@dataclass(frozen=True, slots=True)
class ErasureRequest:
    id: str
    kif_unit: str
    reason: str
    requested_at: dt.datetime
    requested_by_sub: str
    countersigned_at: dt.datetime | None = None
    countersigned_by_sub: str | None = None
    erasure_seq: int | None = None


class ErasureStore(Protocol):
    """Finding what is due for erasure, and erasing rows and marking entries erased."""

    async def due_versions(self, kind: str, before: dt.datetime, limit: int) -> Footprint: ...
    async def due_rows(self, table: str, before: dt.datetime, limit: int) -> Footprint: ...
    async def of_person(self, cpr_hash: bytes, kif_unit: str) -> Footprint: ...
    async def mark_erased(
        self, seqs: Collection[int], erasure_seq: int, at: dt.datetime
    ) -> None: ...

    async def erase_rows(self, rows: Collection[tuple[str, str]], at: dt.datetime) -> None: ...
    async def forget_subject(self, cpr_hash: bytes) -> int: ...
    async def delete_access_log(self, before: dt.datetime, limit: int) -> int: ...
    async def add_request(self, request: ErasureRequest, cpr: Cpr) -> bytes:
        """Store the request with the CPR's keyed hash, and return that hash."""
        ...

    async def request(self, request_id: str) -> tuple[ErasureRequest, bytes | None] | None: ...
    async def countersign(self, request: ErasureRequest) -> bool: ...


class SubjectStore(Protocol):
    async def holdings(self, cpr: Cpr) -> Holdings: ...


class UnitOfWork(Protocol):
    cases: CaseStore
    case_history: CaseHistoryStore
    idempotency: IdempotencyStore
    access_log: AccessLogStore
    meetings: MeetingStore
    documents: DocumentStore
    journal: JournalStore
    recipients: RecipientStore
    circulations: CirculationStore
    inquiries: InquiryStore
    exchanges: ExchangeStore
    meeting_work: MeetingWorkStore
    tree: TreeStore
    erasure: ErasureStore
    key_eraser: DataKeyEraser
    subjects: SubjectStore

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


class WebSessionStore(Protocol):
    """Browser sessions and sign-in attempts, keyed by a hash of their secret (never the
    secret itself), each call its own transaction, shared by every instance."""

    async def add_session(self, key: bytes, session: WebSession) -> None: ...
    async def get_session(self, key: bytes) -> WebSession | None: ...
    async def touch_session(self, key: bytes, at: dt.datetime) -> None: ...
    async def remove_session(self, key: bytes) -> None: ...
    async def add_attempt(self, key: bytes, attempt: SignInAttempt) -> None: ...
    async def take_attempt(self, key: bytes) -> SignInAttempt | None:
        """The attempt, removed in the same transaction (a second take finds nothing)."""
        ...

    async def purge(self, sessions_before: dt.datetime, attempts_before: dt.datetime) -> None: ...
