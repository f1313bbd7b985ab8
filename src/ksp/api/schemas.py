"""Request and response bodies (msgspec). Unknown fields are refused; text is NFC at the edge."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Literal, TypeVar
from uuid import UUID

import msgspec

from ksp.domain.cases import CaseStatus, Custody, TriageDecision
from ksp.domain.circulation import Agency, DeliveryStatus, RecipientStatus
from ksp.domain.meeting_status import MeetingStatus

__all__ = [
    "AccessLogSearch",
    "AccessRecordOut",
    "CaseIn",
    "CaseOut",
    "CaseSummaryOut",
    "Problem",
    "SubjectIn",
    "SubjectOut",
    "Submission",
    "TriageIn",
    "TriageOut",
    "nfc",
]

T = TypeVar("T")

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
CprText = Annotated[str, msgspec.Meta(min_length=10, max_length=11, pattern=r"^\d{6}-?\d{4}$")]
Unit = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]
Slug = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z]+(-[a-z]+)*$")]
MunicipalityCode = Annotated[int, msgspec.Meta(ge=100, le=999)]


def nfc(text: str) -> str:
    """Unicode NFC, so the same name is stored and compared the same way."""
    return unicodedata.normalize("NFC", text)


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class SubjectIn(_In):
    name: Name
    cpr: CprText


class CaseIn(_In):
    subject: SubjectIn
    custody: Custody
    radicalisation_concern: bool
    concern: Text
    municipality_code: MunicipalityCode
    police_district: Slug
    kif_unit: Unit
    detained_since: dt.date
    released_on: dt.date | None = None
    security_notified_on: dt.date | None = None
    urgent: bool = False
    meeting_id: UUID | None = None


class TriageIn(_In):
    decision: TriageDecision
    reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    corrects: bool = False


class AccessLogSearch(_In):
    cpr: CprText
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100
    offset: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 0


class Submission(msgspec.Struct, kw_only=True):
    id: str
    status: CaseStatus
    possible_duplicates: list[str] = msgspec.field(default_factory=list)


class SubjectOut(msgspec.Struct, kw_only=True):
    cpr: str
    name: str | None = None


class TriageOut(msgspec.Struct, kw_only=True):
    id: str
    status: CaseStatus
    decision: TriageDecision
    triaged_at: dt.datetime


class CaseSummaryOut(msgspec.Struct, kw_only=True):
    id: str
    status: CaseStatus
    custody: Custody
    radicalisation_concern: bool
    urgent: bool
    municipality_code: int
    police_district: str
    kif_unit: str
    meeting_id: str | None
    submitted_at: dt.datetime
    submitted_by_unit: str
    subject: SubjectOut


class CaseOut(CaseSummaryOut, kw_only=True):
    detained_since: dt.date
    released_on: dt.date | None
    security_notified_on: dt.date | None
    concern: str | None
    triage_decision: TriageDecision | None
    triage_reason: str | None
    triaged_at: dt.datetime | None
    triage_history: list[TriageRecordOut] = msgspec.field(default_factory=list)
    revision: int = 0
    meetings: list[MeetingListingOut] = msgspec.field(default_factory=list)


class TriageRecordOut(msgspec.Struct, kw_only=True):
    decision: TriageDecision
    reason: str | None
    at: dt.datetime
    by: str
    corrects: bool


class MeetingListingOut(msgspec.Struct, kw_only=True):
    """A meeting whose latest list version holds the case, and that version."""

    meeting_id: str
    version: int


class AccessRecordOut(msgspec.Struct, kw_only=True):
    id: int
    at: dt.datetime
    sub: str
    role: str
    unit: str
    resource: str
    resource_id: str | None
    subject_count: int
    request_id: str | None
    purpose: str  # why it was read: case-handling, triage, meeting-preparation, ...


class FieldProblem(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = msgspec.field(default_factory=list)


class MeetingIn(_In):
    municipality_code: MunicipalityCode
    police_district: Slug
    scheduled_for: dt.datetime
    title: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=200,
            description=(
                "The meeting's title. It is stored unencrypted and becomes the mail's subject: "
                "it must not name a person (a CPR-shaped number is refused)."
            ),
        ),
    ]


class MeetingOut(msgspec.Struct, kw_only=True):
    id: str
    kif_unit: str
    municipality_code: int
    police_district: str
    scheduled_for: dt.datetime
    title: str
    created_at: dt.datetime
    status: MeetingStatus
    location: str | None
    sequence: int  # reschedules so far (the invitation's SEQUENCE)


class ListChangeIn(_In):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    add: Annotated[list[UUID], msgspec.Meta(max_length=500)] = msgspec.field(default_factory=list)
    remove: Annotated[list[UUID], msgspec.Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )
    base_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class NewVersionOut(msgspec.Struct, kw_only=True):
    document_id: str
    version: int
    sha256: str


class VersionSummaryOut(msgspec.Struct, kw_only=True):
    version: int
    sha256: str
    created_at: dt.datetime
    created_by: str
    reason: str
    entry_count: int


class DocumentVersionsOut(msgspec.Struct, kw_only=True):
    document_id: str | None
    versions: list[VersionSummaryOut]


class EntryOut(msgspec.Struct, kw_only=True):
    case_id: str
    name: str
    cpr: str
    concern: str
    custody: Custody
    submitted_by: str


class VersionOut(msgspec.Struct, kw_only=True):
    document_id: str
    meeting_id: str
    version: int
    sha256: str
    created_at: dt.datetime
    created_by: str
    reason: str
    entries: list[EntryOut]


class ChangedEntryOut(msgspec.Struct, kw_only=True):
    case_id: str
    fields: list[str]
    before: EntryOut
    after: EntryOut


class DiffOut(msgspec.Struct, kw_only=True):
    document_id: str
    from_version: int = msgspec.field(name="from")
    to_version: int = msgspec.field(name="to")
    added: list[EntryOut]
    removed: list[EntryOut]
    changed: list[ChangedEntryOut]


class JournalEntryOut(msgspec.Struct, kw_only=True):
    seq: int
    kind: str
    ref: str
    author: str
    created_at: str
    ciphertext_sha256: str
    plaintext_sha256: str
    prev: str
    entry_hash: str


class JournalPage(msgspec.Struct, kw_only=True):
    items: list[JournalEntryOut]
    next_after_seq: int | None


class CheckpointOut(msgspec.Struct, kw_only=True):
    tree_size: int
    root: str
    note: str


class VerificationOut(msgspec.Struct, kw_only=True):
    ok: bool
    entries: int
    first_bad_seq: int | None
    reason: str | None
    checkpoint: CheckpointOut | None


class RecipientIn(_In):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
    agency: Agency
    unit: Unit
    openpgp_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)]
    fingerprint: Annotated[str, msgspec.Meta(max_length=60)] | None = None


class RecipientOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    email: str
    agency: Agency
    unit: str
    fingerprint: str
    expires_at: dt.datetime | None
    created_at: dt.datetime
    status: RecipientStatus = RecipientStatus.ACTIVE
    retired_at: dt.datetime | None = None


class RecipientKeyIn(_In):
    """A key replacing the pinned one, or the owner's revocation of the pinned key."""

    openpgp_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)]
    fingerprint: Annotated[str, msgspec.Meta(max_length=60)] | None = None


class RecipientList(msgspec.Struct, kw_only=True):
    items: list[RecipientOut]


class ParticipantIn(_In):
    recipient_id: UUID


class CirculateIn(_In):
    """Only to send a version again: ``again`` true, and why (recorded, encrypted)."""

    again: bool = False
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class DeliveryOut(msgspec.Struct, kw_only=True):
    email: str
    fingerprint: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    sent_at: dt.datetime | None
    message_id: str
    next_attempt_at: dt.datetime | None  # null once sent or failed


class CirculationOut(msgspec.Struct, kw_only=True):
    circulation_id: str
    document_id: str
    version: int
    created_at: dt.datetime
    recipients: list[DeliveryOut]
    again_reason: str | None = None  # why a version already circulated was sent again


class ActingMunicipalityIn(_In):
    kept_home: bool
    previous_municipality_code: MunicipalityCode
    jail_municipality_code: MunicipalityCode
    married_living_together: bool = False
    common_home_municipality_code: MunicipalityCode | None = None
    actual_residence_municipality_code: MunicipalityCode | None = None
    municipalities_disagree: bool = False


class RuleOut(msgspec.Struct, kw_only=True):
    social_services: str
    other_help: str


class ActingMunicipalityOut(msgspec.Struct, kw_only=True):
    social_services_municipality_code: int
    social_services_municipality_name: str  # from the shipped municipality table
    other_help_municipality_code: int
    other_help_municipality_name: str
    rule: RuleOut


class InquiryIn(_In):
    cpr: CprText
    from_agency: Agency
    received_on: dt.date
    detained_since: dt.date | None = None
    released_on: dt.date | None = None
    kif_unit: Unit | None = None


class DecisionIn(_In):
    eligible: bool
    justification: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class DecisionOut(msgspec.Struct, kw_only=True):
    number: int
    eligible: bool
    justification: str | None
    decided_at: dt.datetime
    decided_by: str
    corrects: int | None


class InquiryOut(msgspec.Struct, kw_only=True):
    id: str
    kif_unit: str
    cpr: str
    from_agency: Agency
    received_on: dt.date
    detained_since: dt.date | None
    released_on: dt.date | None
    suggestion: Literal["inside", "outside"] | None
    window_days: int | None
    policy: str
    created_at: dt.datetime
    decisions: list[DecisionOut]


class ExchangeIn(_In):
    occurred_on: dt.date
    agencies: Annotated[list[Agency], msgspec.Meta(min_length=1, max_length=3)]
    summary: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    meeting_id: UUID | None = None


class ExchangeOut(msgspec.Struct, kw_only=True):
    id: str
    case_id: str
    occurred_on: dt.date
    agencies: list[Agency]
    meeting_id: str | None
    created_at: dt.datetime


class NotificationIn(_In):
    told: bool
    told_on: dt.date | None = None
    how: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    manager: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    discussed_on: dt.date | None = None


class NoteIn(_In):
    where: Literal["handleplan", "personjournal", "none"]
    reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class RecordOut(msgspec.Struct, kw_only=True):
    exchange_id: str
    kind: str
    number: int
    corrects: int | None
    created_at: dt.datetime


class OpenExchangeOut(ExchangeOut, kw_only=True):
    notification_recorded: bool
    note_recorded: bool


class NotificationOut(msgspec.Struct, kw_only=True):
    """The latest notification decision (``number`` counts the corrections)."""

    number: int
    told: bool
    told_on: dt.date | None
    how: str | None
    reason: str | None
    manager: str | None
    discussed_on: dt.date | None
    recorded_at: dt.datetime
    recorded_by: str


class NoteOut(msgspec.Struct, kw_only=True):
    """The latest note record: where the exchange was noted, or why not."""

    number: int
    where: Literal["handleplan", "personjournal", "none"]
    reason: str | None
    recorded_at: dt.datetime
    recorded_by: str


class ExchangeDetailOut(OpenExchangeOut, kw_only=True):
    summary: str
    notification: NotificationOut | None
    note: NoteOut | None
