"""Bodies of the meeting secretariat's routes (CONTRACT.md, "Meetings (issue 8)")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from ksp.api.schemas.circulation import DeliveryOut
from ksp.domain.actions import ActionStatus
from ksp.domain.attendance import Agency, AttendeeRole
from ksp.domain.meeting_status import MeetingStatus
from ksp.domain.outcomes import OutcomeDecision

__all__ = [
    "ActionOut",
    "ActionPage",
    "ActionStatusIn",
    "AttendanceIn",
    "AttendanceOut",
    "AttendeeIn",
    "CancelIn",
    "CancellationOut",
    "DueItemOut",
    "MeetingChangeIn",
    "MinutesIn",
    "OutcomeActionIn",
    "OutcomeIn",
    "OutcomeList",
    "OutcomeOut",
    "RecordedOutcomeOut",
    "Worklist",
]

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Unit = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class MeetingChangeIn(_In):
    reason: Reason
    scheduled_for: dt.datetime | None = None
    location: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class CancelIn(_In):
    reason: Reason


class CancellationOut(msgspec.Struct, kw_only=True):
    """Each participant's cancellation notice and how its delivery went."""

    meeting_id: str
    status: MeetingStatus
    sequence: int
    recipients: list[DeliveryOut]


class MinutesIn(_In):
    reason: Reason


class AttendeeIn(_In):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    agency: Agency
    unit: Unit
    role: AttendeeRole
    present: bool
    confidentiality_acknowledged: bool


class AttendanceIn(_In):
    attendees: Annotated[list[AttendeeIn], msgspec.Meta(min_length=1, max_length=50)]


class AttendanceOut(msgspec.Struct, kw_only=True):
    meeting_id: str
    status: MeetingStatus
    number: int | None
    attendees: list[AttendeeIn]


class OutcomeActionIn(_In):
    agency: Agency
    unit: Unit
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    due_on: dt.date


class OutcomeIn(_In):
    case_id: UUID
    summary: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    decision: OutcomeDecision
    actions: Annotated[list[OutcomeActionIn], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    corrects: UUID | None = None


class RecordedOutcomeOut(msgspec.Struct, kw_only=True):
    id: str
    action_ids: list[str]
    exchange_id: str


class ActionOut(msgspec.Struct, kw_only=True):
    id: str
    meeting_id: str
    case_id: str
    agency: str
    unit: str
    description: str
    due_on: dt.date
    status: ActionStatus
    note: str | None
    overdue: bool


class OutcomeOut(msgspec.Struct, kw_only=True):
    id: str
    case_id: str
    decision: str
    summary: str
    corrects: str | None
    exchange_id: str
    created_at: dt.datetime
    actions: list[ActionOut]


class OutcomeList(msgspec.Struct, kw_only=True):
    items: list[OutcomeOut]


class ActionPage(msgspec.Struct, kw_only=True):
    items: list[ActionOut]


class ActionStatusIn(_In):
    status: Literal["done", "not-done-circumstances-changed", "not-done-agency", "cancelled"]
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class DueItemOut(msgspec.Struct, kw_only=True):
    kind: str
    reference: str
    meeting_id: str | None
    due_on: dt.date | None


class Worklist(msgspec.Struct, kw_only=True):
    items: list[DueItemOut]
