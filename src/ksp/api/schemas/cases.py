"""Bodies of the case routes: submission, triage, reading a case."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from ksp.api.schemas.common import (
    CprText,
    MunicipalityCode,
    Name,
    Slug,
    Text,
    Unit,
    _In,
)
from ksp.domain.cases import CaseStatus, Custody, TriageDecision

__all__ = [
    "CaseIn",
    "CaseOut",
    "CaseSummaryOut",
    "MeetingListingOut",
    "SubjectIn",
    "SubjectOut",
    "Submission",
    "TriageIn",
    "TriageOut",
    "TriageRecordOut",
]


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
