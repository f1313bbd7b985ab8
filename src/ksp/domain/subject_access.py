"""A data subject's extract (Directive 2016/680 art. 14; CJEU C-579/21): what the service
holds about the person, and each consultation and disclosure with its date, purpose and the
receiving agency. Staff identities are part of it only when asked for. Pure data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = [
    "Consultation",
    "Disclosure",
    "Holdings",
    "Listing",
    "SubjectCase",
    "SubjectDecision",
    "SubjectExchange",
    "SubjectInquiry",
]


@dataclass(frozen=True, slots=True)
class SubjectCase:
    id: str
    kif_unit: str
    submitted_at: dt.datetime
    submitted_by_unit: str
    submitted_by: str
    status: str
    name: str
    cpr: str
    concern: str
    custody: str
    municipality_code: int
    police_district: str
    detained_since: dt.date
    released_on: dt.date | None
    meeting_id: str | None


@dataclass(frozen=True, slots=True)
class SubjectDecision:
    decided_at: dt.datetime
    eligible: bool
    justification: str | None
    decided_by: str


@dataclass(frozen=True, slots=True)
class SubjectInquiry:
    id: str
    kif_unit: str
    from_agency: str
    received_on: dt.date
    created_at: dt.datetime
    created_by: str
    decisions: tuple[SubjectDecision, ...]


@dataclass(frozen=True, slots=True)
class SubjectExchange:
    id: str
    case_id: str
    occurred_on: dt.date
    agencies: tuple[str, ...]
    summary: str
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Listing:
    """A version of a meeting's list that named the person (its content may be erased)."""

    document_id: str
    version: int
    meeting_id: str
    meeting_at: dt.datetime
    created_at: dt.datetime
    erased: bool  # its content was erased: the service no longer holds it


@dataclass(frozen=True, slots=True)
class Disclosure:
    """A version naming the person sent to a recipient: when, to which agency and unit."""

    at: dt.datetime
    document_id: str
    version: int
    receiving_agency: str
    receiving_unit: str
    status: str
    sent_at: dt.datetime | None
    recipient: str
    recipient_email: str
    by: str
    purpose: str = "circulation"


@dataclass(frozen=True, slots=True)
class Consultation:
    """A read of the person's data, from the access log."""

    at: dt.datetime
    purpose: str
    resource: str
    role: str
    unit: str
    by: str


@dataclass(frozen=True, slots=True)
class Holdings:
    """The extract; ``with_staff`` False: every staff identity is left out."""

    with_staff: bool = True
    made_at: dt.datetime | None = None  # when the extract was made
    cases: tuple[SubjectCase, ...] = ()
    inquiries: tuple[SubjectInquiry, ...] = ()
    exchanges: tuple[SubjectExchange, ...] = ()
    listings: tuple[Listing, ...] = ()
    disclosures: tuple[Disclosure, ...] = ()
    consultations: tuple[Consultation, ...] = ()
