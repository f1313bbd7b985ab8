"""Bodies of the meeting and KSP-list routes: meetings, list changes, versions, diffs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec

from ksp.api.schemas.common import (
    MunicipalityCode,
    Slug,
    _In,
)
from ksp.domain.cases import Custody
from ksp.domain.meeting_status import MeetingStatus

__all__ = [
    "ChangedEntryOut",
    "ChangedItemOut",
    "DiffOut",
    "DocumentVersionsOut",
    "EntryOut",
    "ItemDiffOut",
    "ListChangeIn",
    "MeetingIn",
    "MeetingOut",
    "MinutesDiffOut",
    "NewVersionOut",
    "VersionOut",
    "VersionSummaryOut",
]


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
    kind: str = "list"  # or "minutes"
    document_id: str | None = None
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
    kind: str = "list"  # or "minutes": then also who attended and each case's outcome
    attendees: list[dict[str, Any]] | None = None
    cases: list[dict[str, Any]] | None = None


class ChangedEntryOut(msgspec.Struct, kw_only=True):
    case_id: str
    fields: list[str]
    before: EntryOut
    after: EntryOut


class ChangedItemOut(msgspec.Struct, kw_only=True):
    key: str  # an attendee's name|agency|unit, an outcome's case id, an action's id
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]


class ItemDiffOut(msgspec.Struct, kw_only=True):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[ChangedItemOut]


class MinutesDiffOut(msgspec.Struct, kw_only=True):
    """What only the minutes hold: attendance, the outcome per case, the actions."""

    attendees: ItemDiffOut
    outcomes: ItemDiffOut
    actions: ItemDiffOut


class DiffOut(msgspec.Struct, kw_only=True):
    document_id: str
    from_version: int = msgspec.field(name="from")
    to_version: int = msgspec.field(name="to")
    added: list[EntryOut]
    removed: list[EntryOut]
    changed: list[ChangedEntryOut]
    minutes: MinutesDiffOut | None = None  # two versions of the minutes: what else changed
